"""The yearly revisions an engagement's terms call for: by a percentage, or by the ratio
of an index's values (new fee = fee × index on the new date ÷ index on the base date,
the base being the previous revision's date, else the start). An index's value on a day
is the latest typed on or before it."""

import bisect
import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext_lazy as _

from facturier.core.errors import DomainError
from facturier.core.formatting import for_reader

from .models import Engagement, Indexation, IndexValue
from .schedule import revision_dates

FACTOR = Decimal("0.00000001")
PERCENT = Decimal("0.01")


class IndexMissing(DomainError):
    code = "index_missing"
    status = 422
    default_message = _(
        "The index %(index)s has no value on or before %(date)s: add it in Settings."
    )


@dataclass(frozen=True)
class PlannedRevision:
    effective_date: datetime.date
    factor: Decimal
    percent: Decimal
    base_index: Decimal | None = None
    new_index: Decimal | None = None


def index_on(firm_id: int, name: str, day: datetime.date, *, series: dict | None = None) -> Decimal:
    """The index's value on `day`: the latest typed on or before it. `series`: the
    index values already read, by (firm, index), where a caller reads many days."""
    values = _series(firm_id, name, series)
    position = bisect.bisect_right(values, day, key=lambda row: row[0])
    if position == 0:
        # In the words of the run's reader (the run speaks their language): kept as said.
        raise IndexMissing(index=name, date=for_reader().date(day))
    return values[position - 1][1]


def _series(firm_id: int, name: str, kept: dict | None) -> list[tuple[datetime.date, Decimal]]:
    """The index's values by date: a few dozen rows (one a month or a quarter), read
    once for all the revisions of an engagement, or of a run's batch."""
    key = (firm_id, name)
    if kept is not None and key in kept:
        return kept[key]
    values = list(
        IndexValue.objects.filter(firm_id=firm_id, name=name)
        .order_by("date")
        .values_list("date", "value")
    )
    if kept is not None:
        kept[key] = values
    return values


def planned(
    engagement: Engagement, *, through: datetime.date, series: dict | None = None
) -> list[PlannedRevision]:
    """The revisions due up to `through` (raises IndexMissing where a value lacks).
    `series`: index values read already (index_on), kept for the caller's next ones."""
    series = {} if series is None else series
    if engagement.indexation == Indexation.NONE:
        return []
    end = min(through, engagement.end_date or through)
    dates = revision_dates(
        start=engagement.start_date,
        month=engagement.revision_month,
        day=engagement.revision_day,
        through=end,
    )
    made = []
    base_date = engagement.start_date
    for date in dates:
        if engagement.indexation == Indexation.PERCENT:
            percent = engagement.indexation_percent
            made.append(PlannedRevision(date, (1 + percent / 100).quantize(FACTOR), percent))
            continue
        base = index_on(engagement.firm_id, engagement.index_name, base_date, series=series)
        new = index_on(engagement.firm_id, engagement.index_name, date, series=series)
        factor = (new / base).quantize(FACTOR, rounding=ROUND_HALF_UP)
        percent = ((factor - 1) * 100).quantize(PERCENT, rounding=ROUND_HALF_UP)
        made.append(PlannedRevision(date, factor, percent, base, new))
        base_date = date
    return made
