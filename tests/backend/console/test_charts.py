"""The console's server-drawn bar chart of a quantity in a unit (energy in kWh, say): the axis
ends on a round number of the unit, bars scale to it, tooltips carry the value and the unit."""

from backend.console.charts import unit_bars


def test_a_unit_chart_scales_its_bars_to_a_round_axis_in_its_unit():
    chart = unit_bars(
        [{"label": "12-01", "value": 17_000}, {"label": "12-02", "value": 4_250}, {"label": "12-03", "value": -50}],
        "kWh",
        scale=1000,
        decimals=2,
    )

    assert (chart["top"], chart["unit"], chart["empty"]) == ("20", "kWh", False)
    first, second, below = chart["bars"]
    plot_h = chart["plot"]["bottom"] - chart["plot"]["top"]
    assert first["h"] == round(plot_h * 17 / 20, 1) and second["h"] == round(plot_h * 4.25 / 20, 1)
    assert below["h"] == 0 and below["title"] == "12-03：-0.05 kWh"  # drawn at zero, told as it is
    assert first["title"] == "12-01：17.00 kWh"
    assert [label["text"] for label in chart["labels"]] == ["12-01", "12-02", "12-03"]


def test_an_empty_or_large_unit_chart_reads_cleanly():
    assert unit_bars([{"label": "a", "value": 0}], "kWh", scale=1000)["empty"]
    assert unit_bars([{"label": "a", "value": 0}], "kWh", scale=1000)["top"] == "1"
    assert unit_bars([{"label": "a", "value": 36_000_000}], "kWh", scale=1000)["top"] == "5万"
