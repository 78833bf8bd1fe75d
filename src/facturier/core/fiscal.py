"""A firm's fiscal year, told by the app that keeps it (receivables, with the ledger
accounts) to the apps that need it beside it, without naming one another.

A year is named by the calendar year it ends in, as the FEC names it.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

_provider: list[Callable[[int], int | None]] = []


def register_first_month(provider: Callable[[int], int | None]) -> None:
    """`provider(firm_id)`: the first month of the firm's fiscal year, None if not set."""
    _provider[:] = [provider]


@dataclass(frozen=True)
class FiscalYear:
    year: int
    start: datetime.date
    end: datetime.date
    # False: the firm has no fiscal year set, so the calendar year stands in.
    set_by_firm: bool

    def __contains__(self, day: datetime.date) -> bool:
        return self.start <= day <= self.end


def first_month(firm_id: int) -> int | None:
    return _provider[0](firm_id) if _provider else None


def fiscal_year(firm_id: int, year: int, *, month: int | None = None) -> FiscalYear:
    """The firm's fiscal year that ends in `year`."""
    month = month if month is not None else first_month(firm_id)
    start_month = month or 1
    if start_month == 1:
        start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    else:
        start = datetime.date(year - 1, start_month, 1)
        end = datetime.date(year, start_month, 1) - datetime.timedelta(days=1)
    return FiscalYear(year, start, end, set_by_firm=month is not None)


def year_of(firm_id: int, day: datetime.date, *, month: int | None = None) -> FiscalYear:
    """The firm's fiscal year that holds `day`."""
    month = month if month is not None else first_month(firm_id)
    start_month = month or 1
    year = day.year + 1 if start_month > 1 and day.month >= start_month else day.year
    return fiscal_year(firm_id, year, month=month)
