"""The yearly revisions an engagement's terms call for: by a percentage, or by the ratio
of an index's values (new fee = fee × index on the new date ÷ index on the base date,
the base being the previous revision's date, else the start). An index's value on a day
is the latest typed on or before it."""

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


def index_on(firm_id: int, name: str, day: datetime.date) -> Decimal:
    value = (
        IndexValue.objects.filter(firm_id=firm_id, name=name, date__lte=day)
        .order_by("-date")
        .values_list("value", flat=True)
        .first()
    )
    if value is None:
        # In the words of the run's reader (the run speaks their language): kept as said.
        raise IndexMissing(index=name, date=for_reader().date(day))
    return value


def planned(engagement: Engagement, *, through: datetime.date) -> list[PlannedRevision]:
    """The revisions due up to `through` (raises IndexMissing where a value lacks)."""
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
        base = index_on(engagement.firm_id, engagement.index_name, base_date)
        new = index_on(engagement.firm_id, engagement.index_name, date)
        factor = (new / base).quantize(FACTOR, rounding=ROUND_HALF_UP)
        percent = ((factor - 1) * 100).quantize(PERCENT, rounding=ROUND_HALF_UP)
        made.append(PlannedRevision(date, factor, percent, base, new))
        base_date = date
    return made
