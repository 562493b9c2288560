"""Small trend charts drawn on the server as inline SVG: the geometry is worked out here and
`console/charts.html` writes it out, so a report or a dashboard card shows its chart without any
script and prints as it looks. Meals are bars on the left axis, the amount a line on the right."""

from __future__ import annotations

from collections.abc import Sequence

from backend.core.money import format_yuan

WIDTH, HEIGHT = 960, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 64, 14, 24
MAX_LABELS = 8


def nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten that is at least `value` (at least 1), so an
    axis ends on a round number."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def trend_chart(points: Sequence[dict], width: int = WIDTH, height: int = HEIGHT, max_labels: int = MAX_LABELS) -> dict:
    """The chart of `points` (each with `day`, `meals` and `amount_fen`, in day order): a bar
    per day for meals, a polyline for the amount, the axes' top values, and at most `max_labels`
    day labels spread evenly under the bars. Text is drawn at 11 units: give the width the chart
    is shown at, so the labels are shown at about that size."""
    plot_w, plot_h = width - LEFT - RIGHT, height - TOP - BOTTOM
    meals_top = nice_ceiling(max((p["meals"] for p in points), default=0))
    # Yuan on the axis: round to whole yuan so the top label reads cleanly.
    amount_top = nice_ceiling(-(-max((p["amount_fen"] for p in points), default=0) // 100)) * 100
    slot = plot_w / max(1, len(points))
    bars, line = [], []
    for i, p in enumerate(points):
        x = LEFT + i * slot
        bar_h = plot_h * p["meals"] / meals_top
        bars.append(
            {
                "x": round(x + slot * 0.15, 1),
                "y": round(TOP + plot_h - bar_h, 1),
                "w": round(max(1.0, slot * 0.7), 1),
                "h": round(bar_h, 1),
                "title": f"{p['day'].isoformat()}：{p['meals']} 人次，¥{format_yuan(p['amount_fen'])}",
            }
        )
        line.append((round(x + slot / 2, 1), round(TOP + plot_h - plot_h * p["amount_fen"] / amount_top, 1)))
    every = max(1, -(-len(points) // max_labels))
    return {
        "width": width,
        "height": height,
        "plot": {"left": LEFT, "right": width - RIGHT, "top": TOP, "bottom": TOP + plot_h},
        "bars": bars,
        "line": " ".join(f"{x},{y}" for x, y in line),
        "dots": line if len(points) <= 31 else [],
        "labels": [
            {"x": round(LEFT + i * slot + slot / 2, 1), "text": points[i]["day"].strftime("%m-%d")}
            for i in range(0, len(points), every)
        ],
        "meals_top": meals_top,
        "amount_top": f"¥{format_yuan(amount_top)}",
        "empty": not any(p["meals"] or p["amount_fen"] for p in points),
    }


def _axis_yuan(fen: int) -> str:
    """A whole-yuan axis value short enough for the margin: 5万 rather than ¥50,000.00."""
    whole = fen // 100
    return f"{whole / 10000:g}万" if whole >= 10000 else f"{whole:,}"


def money_bars(points: Sequence[dict], width: int = WIDTH, height: int = HEIGHT, max_labels: int = 12) -> dict:
    """A money chart on one axis in yuan: a bar per point (`label`, `bar_fen`) and, where the
    points carry `line_fen`, a polyline over them (a remaining balance over the months, say).
    Amounts below zero are drawn at zero, and their tooltips say the real amount. Drawn by the
    `money` macro of `console/charts.html`."""
    plot_w, plot_h = width - LEFT - RIGHT, height - TOP - BOTTOM
    top_fen = max([p["bar_fen"] for p in points] + [p.get("line_fen") or 0 for p in points] + [0])
    top = nice_ceiling(-(-top_fen // 100)) * 100
    slot = plot_w / max(1, len(points))

    def y(fen: int) -> float:
        return round(TOP + plot_h - plot_h * max(fen, 0) / top, 1)

    bars, line = [], []
    for i, p in enumerate(points):
        x = LEFT + i * slot
        bars.append(
            {
                "x": round(x + slot * 0.2, 1),
                "y": y(p["bar_fen"]),
                "w": round(max(1.0, slot * 0.6), 1),
                "h": round(TOP + plot_h - y(p["bar_fen"]), 1),
                "title": f"{p['label']}：¥{format_yuan(p['bar_fen'])}",
            }
        )
        if p.get("line_fen") is not None:
            line.append((round(x + slot / 2, 1), y(p["line_fen"])))
    every = max(1, -(-len(points) // max_labels))
    return {
        "width": width,
        "height": height,
        "plot": {"left": LEFT, "right": width - RIGHT, "top": TOP, "bottom": TOP + plot_h},
        "bars": bars,
        "line": " ".join(f"{x},{y}" for x, y in line),
        "dots": line,
        "labels": [
            {"x": round(LEFT + i * slot + slot / 2, 1), "text": points[i]["label"]}
            for i in range(0, len(points), every)
        ],
        "top": _axis_yuan(top),
        "empty": not any(p["bar_fen"] or p.get("line_fen") for p in points),
    }


def _axis_number(value: float) -> str:
    """An axis value short enough for the margin: 5万 rather than 50,000."""
    return f"{value / 10000:g}万" if value >= 10000 else f"{value:g}"


def unit_bars(
    points: Sequence[dict],
    unit: str,
    scale: int = 1,
    decimals: int = 0,
    width: int = WIDTH,
    height: int = HEIGHT,
    max_labels: int = 12,
) -> dict:
    """A bar chart of a quantity that is not money, on one axis in `unit`: a bar per point
    (`label`, `value` an integer in `unit`/`scale`, e.g. Wh with scale 1000 for kWh), the axis
    ending on a round number of `unit`, tooltips with `decimals` places. Values below zero are
    drawn at zero. Drawn by the `bars` macro of `console/charts.html`."""
    plot_w, plot_h = width - LEFT - RIGHT, height - TOP - BOTTOM
    top = nice_ceiling(-(-max([p["value"] for p in points] + [0]) // scale)) * scale
    slot = plot_w / max(1, len(points))
    bars = []
    for i, p in enumerate(points):
        bar_h = round(plot_h * max(p["value"], 0) / top, 1)
        bars.append(
            {
                "x": round(LEFT + i * slot + slot * 0.2, 1),
                "y": round(TOP + plot_h - bar_h, 1),
                "w": round(max(1.0, slot * 0.6), 1),
                "h": bar_h,
                "title": f"{p['label']}：{p['value'] / scale:,.{decimals}f} {unit}",
            }
        )
    every = max(1, -(-len(points) // max_labels))
    return {
        "width": width,
        "height": height,
        "plot": {"left": LEFT, "right": width - RIGHT, "top": TOP, "bottom": TOP + plot_h},
        "bars": bars,
        "labels": [
            {"x": round(LEFT + i * slot + slot / 2, 1), "text": points[i]["label"]}
            for i in range(0, len(points), every)
        ],
        "top": _axis_number(top / scale),
        "unit": unit,
        "empty": not any(p["value"] for p in points),
    }
