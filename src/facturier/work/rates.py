"""The rate in force for a staff member, a work code and a day, and what an entry is
worth. Pure once the rates are loaded: a bulk import loads them once."""

import datetime
from bisect import bisect_right
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from .models import EntryKind, StaffRate, WorkCode

CENT = Decimal("0.01")


class RateBook:
    """The rates of some staff members, by (staff, work code or None), sorted by day."""

    def __init__(self, staff_ids) -> None:
        self._rates: dict[tuple[int, int | None], list[tuple[datetime.date, Decimal]]] = (
            defaultdict(list)
        )
        for staff_id, code_id, day, rate in (
            StaffRate.objects.filter(staff_id__in=list(staff_ids))
            .order_by("effective_from")
            .values_list("staff_id", "work_code_id", "effective_from", "rate")
        ):
            self._rates[staff_id, code_id].append((day, rate))

    def _in_force(self, key, day: datetime.date) -> Decimal | None:
        rates = self._rates.get(key)
        if not rates:
            return None
        index = bisect_right([start for start, _rate in rates], day)
        return rates[index - 1][1] if index else None

    def rate(self, staff_id: int, code: WorkCode, day: datetime.date) -> Decimal | None:
        """The staff member's rate for the code, else their standard rate, else the
        code's default rate, else None (the entry is then flagged, worth 0)."""
        for key in ((staff_id, code.pk), (staff_id, None)):
            found = self._in_force(key, day)
            if found is not None:
                return found
        return code.default_rate

    def priced(self, staff_id: int, code: WorkCode, day, *, hours=None, amount=None):
        """(the rate in force, what the entry is worth): an expense has no rate."""
        rate = self.rate(staff_id, code, day) if code.kind == EntryKind.TIME else None
        return rate, value(code, hours=hours, rate=rate, amount=amount)


def value(code: WorkCode, *, hours: Decimal | None, rate: Decimal | None, amount=None) -> Decimal:
    """What an entry is worth at standard rates, surcharge included, to the cent."""
    if code.kind == EntryKind.TIME:
        base = (hours or 0) * (rate or 0)
    else:
        base = amount or Decimal(0)
    surcharge = Decimal(1) + Decimal(code.surcharge_percent or 0) / 100
    return (Decimal(base) * surcharge).quantize(CENT, rounding=ROUND_HALF_UP)


def rate_state(rate: StaffRate, successor_start: datetime.date | None, today) -> str:
    """future, active or historical."""
    if rate.effective_from > today:
        return "future"
    if successor_start is not None and successor_start <= today:
        return "historical"
    return "active"
