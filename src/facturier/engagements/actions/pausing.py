"""Pausing an engagement's billing, and resuming it.

While paused, no run bills the periods whose billing day falls from the pause on. On
resuming they are skipped (each recorded as such, so no later run bills them) unless the
user asks to catch up, in which case the next run bills them, marked late.
"""

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from facturier.core import clock
from facturier.core.actions import action
from facturier.core.errors import Invalid
from facturier.firms import audit
from facturier.firms.models import User

from ..models import BilledPeriod, Engagement
from ..selectors import due_periods
from .engagements import lock_engagement
from .upcoming import refresh_next_bill_date


@action
def pause_billing(
    engagement: Engagement | int, *, by: User, now: datetime.datetime | None = None
) -> Engagement:
    engagement = lock_engagement(engagement, by)
    if engagement.paused_from is not None:
        raise Invalid(
            {"general": [_("This engagement's billing is already paused.")]},
            codes={"general": ["already_paused"]},
        )
    engagement.paused_from = timezone.localdate(clock.now(now))
    engagement.save(update_fields=["paused_from"])
    audit.record(
        "engagement.paused",
        engagement,
        by=by,
        firm_id=engagement.firm_id,
        at=clock.now(now),
        details={"from": engagement.paused_from},
    )
    refresh_next_bill_date(engagement)
    return engagement


@action
def resume_billing(
    engagement: Engagement | int,
    *,
    by: User,
    catch_up: bool = False,
    now: datetime.datetime | None = None,
) -> int:
    """Resume billing; returns how many periods were skipped (none when catching up)."""
    engagement = lock_engagement(engagement, by)
    if engagement.paused_from is None:
        raise Invalid(
            {"general": [_("This engagement's billing is not paused.")]},
            codes={"general": ["not_paused"]},
        )
    today = timezone.localdate(clock.now(now))
    skipped = [] if catch_up else _paused_periods(engagement, today)
    BilledPeriod.objects.bulk_create(
        [
            BilledPeriod(
                mission=due.mission,
                part=due.part,
                period_start=due.period.start,
                period_end=due.period.end,
                amount=due.amount,
                version=engagement.version,
                invoice=None,
                billed_at=clock.now(now),
                instalment=due.period.instalment,
            )
            for due in skipped
        ],
        ignore_conflicts=True,  # a run at the same time billed it: billed, not skipped
    )
    paused_from, engagement.paused_from = engagement.paused_from, None
    engagement.save(update_fields=["paused_from"])
    audit.record(
        "engagement.resumed",
        engagement,
        by=by,
        firm_id=engagement.firm_id,
        at=clock.now(now),
        details={"paused_from": paused_from, "catch_up": catch_up, "skipped": len(skipped)},
    )
    refresh_next_bill_date(engagement)
    return len(skipped)


def _paused_periods(engagement: Engagement, today: datetime.date):
    """The unbilled periods whose billing day fell while billing was paused."""
    return [
        due
        for due in due_periods(engagement, as_of=today - datetime.timedelta(days=1))
        if due.period.bill_date >= engagement.paused_from
    ]
