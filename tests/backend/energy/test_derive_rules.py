"""The derivation's rules on their own (`derive.fold` and `derive.spread`, no database): gaps
spread over hours exactly and marked estimated, backward and spike readings held without losing
or inventing energy, recorded events splitting an interval, and a fold in two parts equal to one."""

from __future__ import annotations

import random

from backend.energy.service.derive import (
    ACCEPTED,
    HELD_BACKWARD,
    HELD_SPIKE,
    HOUR,
    REJECTED,
    VALID,
    Event,
    Rules,
    fold,
    spread,
)

SLOT = 900
RULES = Rules(slot_seconds=SLOT, spike_limit=None, spike_factor=20)
# A Beijing midnight (2026-03-01 00:00 +08:00) in epoch seconds: hours start on multiples of 3600.
T0 = 1772294400


def readings(*pairs: tuple[int, int], status: str = VALID, first_id: int = 1) -> list[tuple[int, int, int, str]]:
    """Rows (id, slot, register, status) at T0 + minutes."""
    return [(first_id + i, T0 + minutes * 60, raw, status) for i, (minutes, raw) in enumerate(pairs)]


def total(hours: dict[int, list[int]]) -> int:
    return sum(cell[0] for cell in hours.values())


def test_readings_one_slot_apart_are_measured_in_their_hour():
    folded = fold([], readings((0, 1000), (15, 1400), (30, 1900), (45, 2000), (60, 2600)), [], 1, RULES)
    assert folded.hours == {T0: [1600, 0]}
    assert folded.changes == [] and folded.anchor == (T0 + HOUR, 2600)


def test_a_gap_is_spread_over_its_hours_in_proportion_to_time_summing_exactly():
    # 10:30 to 13:00 (150 minutes) with 1001 used: 30, 60 and 60 minutes' worth, as estimated.
    hours: dict[int, list[int]] = {}
    spread(hours, T0 + 30 * 60, T0 + 180 * 60, 1001, True, None)
    assert hours == {T0: [200, 200], T0 + HOUR: [401, 401], T0 + 2 * HOUR: [400, 400]}
    assert total(hours) == 1001


def test_a_gap_between_readings_counts_as_estimated_and_a_slot_as_measured():
    folded = fold([], readings((0, 0), (15, 100), (135, 1300)), [], 1, RULES)
    assert total(folded.hours) == 1300
    # 00:15 to 02:15 with 1200 used: 45, 60 and 15 minutes' worth, on top of the measured 100.
    assert folded.hours == {T0: [100 + 450, 450], T0 + HOUR: [600, 600], T0 + 2 * HOUR: [150, 150]}


def test_a_backward_reading_is_held_and_the_next_reading_carries_its_interval():
    folded = fold([], readings((0, 5000), (15, 5100), (30, 4000), (45, 5300)), [], 1, RULES)
    assert folded.changes == [(3, HELD_BACKWARD)]
    assert [r[0] for r in folded.held] == [3]
    assert total(folded.hours) == 300  # 5000 -> 5300: nothing lost, nothing invented


def test_a_spike_is_held_once_the_meter_has_a_usual_use():
    history = readings(*((15 * i, 100 * i) for i in range(30)))
    later = readings((450, 2900 + 100), (465, 2900 + 100 + 50_000), (480, 2900 + 100 + 50_100), first_id=100)
    folded = fold(history, later, [], 1, RULES)
    # After the jump, 3000 -> 53100 over two slots is still above 20 x 100 per slot: both wait
    # for a person, and only the ordinary interval before them counts.
    assert folded.changes == [(101, HELD_SPIKE), (102, HELD_SPIKE)]
    assert total(folded.hours) == 100


def test_without_enough_history_nothing_is_a_spike():
    folded = fold([], readings((0, 0), (15, 100), (30, 1_000_000)), [], 1, RULES)
    assert folded.changes == [] and total(folded.hours) == 1_000_000


def test_a_meter_limit_holds_use_above_it_per_slot():
    rules = Rules(SLOT, spike_limit=500, spike_factor=20)
    folded = fold([], readings((0, 0), (15, 400), (30, 1000), (60, 1900)), [], 1, rules)
    assert folded.changes == [(3, HELD_SPIKE)]
    # 400 -> 1900 over three slots is within 3 x 500.
    assert total(folded.hours) == 1900


def test_a_reset_between_readings_counts_both_sides():
    events = [Event(T0 + 20 * 60, old_final=1500, new_start=0, old_multiplier=1, new_multiplier=1)]
    folded = fold([], readings((0, 1000), (15, 1400), (30, 50)), events, 1, RULES)
    assert folded.changes == []
    assert total(folded.hours) == 400 + (1500 - 1400) + 50


def test_a_ct_change_applies_each_multiplier_to_its_side():
    events = [Event(T0 + 30 * 60, old_final=1200, new_start=1200, old_multiplier=40, new_multiplier=80)]
    folded = fold([], readings((0, 1000), (15, 1100), (30, 1250), (45, 1300)), events, 80, RULES)
    assert total(folded.hours) == 100 * 40 + 100 * 40 + 50 * 80 + 50 * 80


def test_a_reading_above_the_final_value_of_a_later_event_is_held():
    events = [Event(T0 + 40 * 60, old_final=1500, new_start=0, old_multiplier=1, new_multiplier=1)]
    folded = fold([], readings((0, 1000), (15, 1400), (30, 1800), (45, 30)), events, 1, RULES)
    assert folded.changes == [(3, HELD_BACKWARD)]
    assert total(folded.hours) == 500 + 30


def test_person_decisions_are_kept_accepted_counts_rejected_skips():
    rows = [
        (1, T0, 0, VALID),
        (2, T0 + 900, 100, VALID),
        (3, T0 + 1800, 90_000, ACCEPTED),
        (4, T0 + 2700, 90_100, VALID),
        (5, T0 + 3600, 10, REJECTED),
    ]
    folded = fold([], rows, [], 1, Rules(SLOT, spike_limit=1000, spike_factor=20))
    assert folded.changes == [] and total(folded.hours) == 90_100


def test_held_readings_before_the_point_re_derived_stay_held():
    rows = [(1, T0, 0, VALID), (2, T0 + 900, 5, HELD_BACKWARD), (3, T0 + 1800, 200, VALID)]
    folded = fold([], rows, [], 1, RULES, classify_from=T0 + 1800)
    assert folded.changes == [] and total(folded.hours) == 200


def test_a_fold_in_two_parts_writes_what_one_fold_writes():
    rng = random.Random(18)
    raw, rows, minutes = 0, [], 0
    for i in range(400):
        minutes += rng.choice([15, 15, 15, 15, 30, 45, 180])
        raw += rng.randint(0, 400)
        rows.append((i + 1, T0 + minutes * 60, raw, VALID))
    whole = fold([], rows, [], 1, RULES)
    cut = 211
    first = fold([], rows[:cut], [], 1, RULES)
    counted_history = rows[:cut][-97:]
    second = fold(counted_history, rows[cut:], [], 1, RULES)
    combined = dict(first.hours)
    for hour, (amount, estimated) in second.hours.items():
        cell = combined.setdefault(hour, [0, 0])
        combined[hour] = [cell[0] + amount, cell[1] + estimated]
    assert combined == whole.hours
    assert total(whole.hours) == raw - rows[0][2]
