"""MeterValues as the edge reads them: the register in Wh whatever the unit, totals only, and a
value that is not a number (signed data) left out rather than guessed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from ocpp.exceptions import FormatViolationError

from backend.charging.protocols.ocpp16 import samples_of
from backend.charging.service.sessions import Sample


def test_a_sample_is_read_in_wh_and_w_whatever_the_unit():
    samples = samples_of(
        [
            {
                "timestamp": "2026-12-07T02:00:10Z",
                "sampled_value": [
                    {"value": "12.3456", "measurand": "Energy.Active.Import.Register", "unit": "kWh"},
                    {"value": "7.2", "measurand": "Power.Active.Import", "unit": "kW"},
                    {"value": "55", "measurand": "SoC", "unit": "Percent"},
                ],
            },
            {"timestamp": "2026-12-07T10:00:00+08:00", "sampled_value": [{"value": "12000"}]},
        ]
    )
    assert samples == [
        Sample(datetime(2026, 12, 7, 10, 0, tzinfo=timezone(timedelta(hours=8))), 12000, None, None),
        Sample(datetime(2026, 12, 7, 2, 0, 10, tzinfo=UTC), 12346, 7200, 55),
    ]


def test_phase_values_and_signed_data_are_left_out():
    [sample] = samples_of(
        [
            {
                "timestamp": "2026-12-07T02:00:00",
                "sampled_value": [
                    {"value": "100", "measurand": "Energy.Active.Import.Register", "phase": "L1"},
                    {"value": "AB12CD==", "format": "SignedData"},
                    {"value": "300", "measurand": "Energy.Active.Import.Register"},
                ],
            }
        ]
    )
    assert sample == Sample(datetime(2026, 12, 7, 2, 0, tzinfo=UTC), 300, None, None)


def test_a_timestamp_that_is_not_iso_8601_is_a_format_violation():
    with pytest.raises(FormatViolationError):
        samples_of([{"timestamp": "07/12/2026 10:00", "sampled_value": []}])


@pytest.mark.parametrize("value", ["NaN", "-Infinity", "Infinity", "1E+999999", "99999999999999999999", "-5"])
def test_a_reading_that_is_not_a_finite_number_in_range_is_left_out(value):
    reading = {
        "timestamp": "2026-12-07T02:00:10Z",
        "sampled_value": [
            {"value": value, "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
            {"value": value if value != "-5" else "1E+30", "measurand": "Power.Active.Import", "unit": "W"},
            {"value": value if value != "-5" else "101", "measurand": "SoC", "unit": "Percent"},
        ],
    }
    assert samples_of([reading]) == [Sample(datetime(2026, 12, 7, 2, 0, 10, tzinfo=UTC), None, None, None)]
