"""Hours as people type them, and a total of hours spread over workdays."""

import datetime
import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

MAX_HOURS = Decimal(24)
HMM = re.compile(r"^(\d{1,2}):([0-5]\d)$")
# As hours are written in French: 1h30, 2h, 1 h 15.
H_MM = re.compile(r"^(\d{1,2})\s*[hH]\s*([0-5]\d)?$")


def parse_hours(value) -> Decimal | None:
    """1.5, 1,5, 1:30 or 1h30 -> Decimal('1.50'); None if it is none of those."""
    text = str(value if value is not None else "").strip()
    if match := HMM.match(text) or H_MM.match(text):
        minutes = Decimal(match[2] or 0)
        return (Decimal(match[1]) + minutes / 60).quantize(Decimal("0.01"))
    try:
        hours = Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None
    if not hours.is_finite():
        return None
    return hours


def spread(total: Decimal, days: Sequence[datetime.date]) -> list[tuple[datetime.date, Decimal]]:
    """`total` hours evenly over `days`, to the hundredth; the last day takes what
    rounding leaves, so the parts add up to the total."""
    if not days:
        return []
    share = (total / len(days)).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
    parts = [share] * len(days)
    parts[-1] = total - share * (len(days) - 1)
    return list(zip(days, parts, strict=True))


def workdays(start: datetime.date, end: datetime.date, weekdays: set[int]) -> list[datetime.date]:
    """The days from start to end (at most a year) falling on `weekdays` (0 = Monday)."""
    days, day = [], start
    while day <= end and len(days) < 366:
        if day.weekday() in weekdays:
            days.append(day)
        day += datetime.timedelta(days=1)
    return days
