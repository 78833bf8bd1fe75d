"""The day an engagement's next invoice is due, kept on the engagement so that the
billing-run page can list what comes next without computing every schedule. Derived:
written by each action that changes what the schedule gives (create, amend, end, bill,
pause, resume); the run itself never reads it."""

from collections import defaultdict

from ..models import Engagement
from ..selectors import Billed, next_bill_date


def refresh_next_bill_date(
    engagement: Engagement, *, billed: Billed | None = None, moved: list | None = None
) -> None:
    """`billed`: the periods billed, when the caller knows them (the run). `moved`: where
    the run gathers the engagements whose day changed, to write a batch's days at once
    (write_next_bill_dates, in the same transaction)."""
    day = None if engagement.paused_from is not None else next_bill_date(engagement, billed=billed)
    keep_next_bill_date(engagement, day, moved=moved)


def keep_next_bill_date(engagement: Engagement, day, *, moved: list | None = None) -> None:
    """`day`, the engagement's next billing day as its caller found it, kept."""
    if day != engagement.next_bill_date:
        engagement.next_bill_date = day
        if moved is not None:
            moved.append(engagement)
        else:
            Engagement.objects.filter(pk=engagement.pk).update(next_bill_date=day)


def write_next_bill_dates(engagements: list[Engagement]) -> None:
    """The days refresh_next_bill_date gathered: one UPDATE per day (a month's run moves
    thousands of engagements to the same next day)."""
    by_day: dict = defaultdict(list)
    for engagement in engagements:
        by_day[engagement.next_bill_date].append(engagement.pk)
    for day, ids in by_day.items():
        Engagement.objects.filter(pk__in=ids).update(next_bill_date=day)
