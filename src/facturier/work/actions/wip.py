"""WIP aged as of today, so the WIP tab reads it ready."""

import datetime

from django.utils import timezone

from facturier.core.actions import action

from .. import wip_totals
from ..models import Entry, WipAsOf


@action
def refresh_wip_today(firm_id: int, day: datetime.date | None = None) -> int:
    """Age the firm's WIP as of `day` (today): the WIP tab then reads it ready."""
    return wip_totals.refresh_today(firm_id, day or timezone.localdate())


def refresh_stale_wip() -> int:
    """The worker's pass: every firm with work whose WIP is not aged as of today."""
    today = timezone.localdate()
    current = set(WipAsOf.objects.filter(day=today).values_list("firm_id", flat=True))
    done = 0
    for firm_id in Entry.objects.values_list("firm_id", flat=True).distinct().order_by():
        if firm_id not in current:
            refresh_wip_today(firm_id, today)
            done += 1
    return done
