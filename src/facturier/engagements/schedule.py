"""The fixed fees' schedule, as pure arithmetic: which periods a mission bills, on which
day, for how much. The billing run and the preview both read it, so what the preview
shows is what the run makes.

Periods follow the calendar (months, quarters from January, half-years, years); a first
or last period the engagement covers only in part is prorated by days. Billed in
advance: on the billing day of the period's first month (not before the engagement
starts); in arrears: on the billing day of the month after it ends. A billing day past
a month's end is its last day. Instalments repeat each year of the term on their dates.
A revision applies to the periods that start on or after its date.
"""

import calendar
import datetime
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

from facturier.core.money import quantize

STEP_MONTHS = {"monthly": 1, "quarterly": 3, "half_yearly": 6, "yearly": 12}
ONE_DAY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class Period:
    start: datetime.date  # what the engagement covers of it
    end: datetime.date
    bill_date: datetime.date
    base_amount: Decimal  # before revisions, not rounded
    days: int  # covered days; equal to full_days when not prorated
    full_days: int
    instalment: bool = False

    @property
    def prorated(self) -> bool:
        return self.days != self.full_days


@dataclass(frozen=True)
class Plan:
    """What a mission's schedule needs to know, read from the models or a form."""

    frequency: str
    timing: str
    billing_day: int
    annual_fee: Decimal
    instalments: Sequence[tuple[datetime.date, Decimal]] = ()


def day_in_month(year: int, month: int, day: int) -> datetime.date:
    return datetime.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def add_months(date: datetime.date, months: int) -> datetime.date:
    index = date.year * 12 + date.month - 1 + months
    return day_in_month(index // 12, index % 12 + 1, date.day)


def add_years(date: datetime.date, years: int) -> datetime.date:
    return day_in_month(date.year + years, date.month, date.day)  # 29 Feb -> 28 Feb


def periods(
    plan: Plan, *, start: datetime.date, end: datetime.date | None, first: int = 0
) -> Iterator[Period]:
    """Every period from `start`, in order, up to `end` (forever when None); from the
    `first`-th on (billed_prefix: those before it are billed)."""
    if plan.frequency == "instalments":
        yield from itertools.islice(_instalments(plan, start=start, end=end), first, None)
        return
    step = STEP_MONTHS[plan.frequency]
    full_start = add_months(_first_full_start(start, step), first * step)
    while end is None or full_start <= end:
        full_end = add_months(full_start, step) - ONE_DAY
        covered_start, covered_end = max(start, full_start), min(end or full_end, full_end)
        days = (covered_end - covered_start).days + 1
        full_days = (full_end - full_start).days + 1
        yield Period(
            start=covered_start,
            end=covered_end,
            bill_date=_bill_date(plan, covered_start, covered_end),
            base_amount=plan.annual_fee * step / 12 * days / full_days,
            days=days,
            full_days=full_days,
        )
        full_start = full_end + ONE_DAY


def _first_full_start(start: datetime.date, step: int) -> datetime.date:
    """The first day of the calendar period (month, quarter...) `start` falls in."""
    return datetime.date(start.year, (start.month - 1) // step * step + 1, 1)


def billed_prefix(plan: Plan, *, start: datetime.date, end: datetime.date | None, billed) -> int:
    """How many of the schedule's first periods start on a day in `billed` (the starts
    of the periods billed): periods(first=...) walks from the one after them, without
    working out their days and amounts again. An engagement billed monthly for ten
    years has 120 of them; instalments are walked from the first (0)."""
    if plan.frequency == "instalments" or not billed:
        return 0
    step = STEP_MONTHS[plan.frequency]
    full_start = _first_full_start(start, step)
    count = 0
    while True:
        # The first period starts with the engagement, each other one on its first day.
        day = start if count == 0 else add_months(full_start, count * step)
        if (end is not None and day > end) or day not in billed:
            return count
        count += 1


def _bill_date(plan: Plan, start: datetime.date, end: datetime.date) -> datetime.date:
    if plan.timing == "arrears":
        following = add_months(end.replace(day=1), 1)
        return day_in_month(following.year, following.month, plan.billing_day)
    return max(start, day_in_month(start.year, start.month, plan.billing_day))


def _instalments(
    plan: Plan, *, start: datetime.date, end: datetime.date | None
) -> Iterator[Period]:
    agreed = sorted(plan.instalments)
    if not agreed:
        return
    year = 0
    while True:
        dates = [(add_years(day, year), amount) for day, amount in agreed]
        following = add_years(agreed[0][0], year + 1)
        for index, (day, amount) in enumerate(dates):
            if end is not None and day > end:
                return
            if day < start:
                continue
            until = dates[index + 1][0] if index + 1 < len(dates) else following
            span = (until - day).days
            yield Period(day, until - ONE_DAY, day, amount, span, span, instalment=True)
        year += 1


def factor_on(revisions: Sequence[tuple[datetime.date, Decimal]], day: datetime.date) -> Decimal:
    """The product of the revisions' factors in force on `day`."""
    factor = Decimal(1)
    for effective, one in revisions:
        if effective <= day:
            factor *= one
    return factor


def amount(
    period: Period, revisions: Sequence[tuple[datetime.date, Decimal]], currency: str
) -> Decimal:
    return quantize(period.base_amount * factor_on(revisions, period.start), currency)


def revision_dates(
    *,
    start: datetime.date,
    month: int | None,
    day: int | None,
    through: datetime.date,
) -> list[datetime.date]:
    """The yearly revision days after `start`, up to `through`: the anniversary, or the
    chosen day of the year."""
    dates = []
    year = 1 if month is None else 0
    while True:
        if month is None:
            date = add_years(start, year)
        else:
            date = day_in_month(start.year + year, month, day or 1)
        year += 1
        if date <= start:
            continue
        if date > through:
            return dates
        dates.append(date)
