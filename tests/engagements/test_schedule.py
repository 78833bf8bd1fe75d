"""The schedule's arithmetic: periods, billing days, proration, instalments, leap years."""

import datetime
import itertools
from decimal import Decimal

import pytest

from facturier.engagements.schedule import Plan, amount, billed_prefix, periods, revision_dates

D = datetime.date


def take(plan, start, end=None, count=6):
    return list(itertools.islice(periods(plan, start=start, end=end), count))


def test_monthly_in_advance_bills_each_month_on_its_billing_day():
    plan = Plan("monthly", "advance", 5, Decimal("1200"))
    first = take(plan, D(2027, 1, 1), count=3)
    assert [(p.start, p.end, p.bill_date) for p in first] == [
        (D(2027, 1, 1), D(2027, 1, 31), D(2027, 1, 5)),
        (D(2027, 2, 1), D(2027, 2, 28), D(2027, 2, 5)),
        (D(2027, 3, 1), D(2027, 3, 31), D(2027, 3, 5)),
    ]
    assert [amount(p, [], "EUR") for p in first] == [Decimal("100.00")] * 3


def test_in_arrears_bills_in_the_following_month_and_a_late_day_is_the_month_end():
    plan = Plan("monthly", "arrears", 31, Decimal("1200"))
    first = take(plan, D(2027, 1, 1), count=2)
    assert [p.bill_date for p in first] == [D(2027, 2, 28), D(2027, 3, 31)]


def test_quarterly_first_period_is_prorated_by_days():
    plan = Plan("quarterly", "advance", 1, Decimal("12000"))
    first, second = take(plan, D(2027, 1, 15), count=2)
    assert (first.start, first.end, first.days, first.full_days) == (
        D(2027, 1, 15),
        D(2027, 3, 31),
        76,
        90,
    )
    assert first.prorated and not second.prorated
    assert first.bill_date == D(2027, 1, 15)  # not before the engagement starts
    assert amount(first, [], "EUR") == Decimal("2533.33")  # 3000 × 76/90
    assert amount(second, [], "EUR") == Decimal("3000.00")


def test_last_period_stops_at_the_end_date_prorated():
    plan = Plan("quarterly", "arrears", 10, Decimal("12000"))
    found = take(plan, D(2027, 1, 1), end=D(2027, 5, 15), count=10)
    assert len(found) == 2
    last = found[-1]
    assert (last.start, last.end, last.days, last.full_days) == (
        D(2027, 4, 1),
        D(2027, 5, 15),
        45,
        91,
    )
    assert last.bill_date == D(2027, 6, 10)
    assert amount(last, [], "EUR") == Decimal("1483.52")  # 3000 × 45/91


def test_a_leap_year_counts_its_29_february():
    plan = Plan("quarterly", "advance", 1, Decimal("12000"))
    first = take(plan, D(2028, 2, 1), count=1)[0]
    assert (first.days, first.full_days) == (60, 91)  # Q1 2028 has 91 days
    monthly = take(Plan("monthly", "advance", 1, Decimal("1200")), D(2028, 2, 15), count=1)[0]
    assert (monthly.days, monthly.full_days) == (15, 29)


def test_half_yearly_and_yearly_follow_the_calendar():
    half = take(Plan("half_yearly", "advance", 1, Decimal("1000")), D(2027, 3, 1), count=2)
    assert [(p.start, p.end) for p in half] == [
        (D(2027, 3, 1), D(2027, 6, 30)),
        (D(2027, 7, 1), D(2027, 12, 31)),
    ]
    year = take(Plan("yearly", "advance", 1, Decimal("1000")), D(2027, 1, 1), count=1)[0]
    assert (year.end, amount(year, [], "EUR")) == (D(2027, 12, 31), Decimal("1000.00"))


def test_instalments_repeat_each_year_on_their_dates():
    plan = Plan(
        "instalments",
        "advance",
        1,
        Decimal("1000"),
        [(D(2027, 2, 28), Decimal("400")), (D(2027, 9, 30), Decimal("600"))],
    )
    found = take(plan, D(2027, 1, 1), end=D(2028, 12, 31), count=10)
    assert [(p.bill_date, p.base_amount) for p in found] == [
        (D(2027, 2, 28), Decimal("400")),
        (D(2027, 9, 30), Decimal("600")),
        (D(2028, 2, 28), Decimal("400")),
        (D(2028, 9, 30), Decimal("600")),
    ]
    assert not any(p.prorated for p in found)


def test_an_instalment_on_29_february_falls_on_the_28th_in_other_years():
    plan = Plan("instalments", "advance", 1, Decimal("100"), [(D(2028, 2, 29), Decimal("100"))])
    found = take(plan, D(2028, 1, 1), count=2)
    assert [p.bill_date for p in found] == [D(2028, 2, 29), D(2029, 2, 28)]


def test_a_revision_applies_from_the_periods_starting_on_its_date():
    plan = Plan("monthly", "advance", 1, Decimal("1200"))
    dec, jan = take(plan, D(2026, 12, 1), count=2)
    revisions = [(D(2027, 1, 1), Decimal("1.032"))]
    assert amount(dec, revisions, "EUR") == Decimal("100.00")
    assert amount(jan, revisions, "EUR") == Decimal("103.20")


def test_revision_dates_anniversary_or_chosen_day():
    assert revision_dates(start=D(2026, 3, 15), month=None, day=None, through=D(2028, 3, 15)) == [
        D(2027, 3, 15),
        D(2028, 3, 15),
    ]
    assert revision_dates(start=D(2026, 3, 15), month=1, day=1, through=D(2028, 1, 1)) == [
        D(2027, 1, 1),
        D(2028, 1, 1),
    ]


@pytest.mark.parametrize("frequency", ["monthly", "quarterly", "half_yearly", "yearly"])
@pytest.mark.parametrize("timing", ["advance", "arrears"])
@pytest.mark.parametrize(
    "start, end",
    [
        (D(2027, 1, 1), None),
        (D(2026, 11, 17), None),  # a first period in part
        (D(2026, 2, 28), D(2029, 5, 10)),  # and a last one
        (D(2024, 2, 29), D(2024, 2, 29)),  # one day
    ],
)
def test_a_walk_from_the_billed_prefix_gives_the_periods_after_it(frequency, timing, start, end):
    """The run walks each schedule from the first period not billed (billed_prefix),
    not from the engagement's start: the periods it meets are those the whole walk
    gives after the billed ones, whichever were billed (a gap stops the prefix)."""
    plan = Plan(frequency, timing, 31, Decimal("1200"))
    whole = list(itertools.islice(periods(plan, start=start, end=end), 60))
    for billed_count in range(len(whole) + 1):
        for gap in (None, billed_count // 2):
            billed = {p.start for p in whole[:billed_count]} - (
                {whole[gap].start} if gap is not None and gap < billed_count else set()
            )
            first = billed_prefix(plan, start=start, end=end, billed=billed)
            walked = list(itertools.islice(periods(plan, start=start, end=end, first=first), 60))
            unbilled = (i for i, p in enumerate(whole) if p.start not in billed)
            assert first == next(unbilled, len(whole))
            assert walked[: len(whole) - first] == whole[first:]


def test_instalments_are_walked_from_the_first():
    plan = Plan("instalments", "advance", 1, Decimal("900"), [(D(2027, 3, 31), Decimal("500"))])
    billed = {D(2027, 3, 31)}
    assert billed_prefix(plan, start=D(2027, 1, 1), end=None, billed=billed) == 0
    assert list(itertools.islice(periods(plan, start=D(2027, 1, 1), end=None, first=1), 1)) == [
        next(itertools.islice(periods(plan, start=D(2027, 1, 1), end=None), 1, None))
    ]
