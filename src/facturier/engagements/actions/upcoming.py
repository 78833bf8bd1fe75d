"""The day an engagement's next invoice is due, kept on the engagement so that the
billing-run page can list what comes next without computing every schedule. Derived:
written by each action that changes what the schedule gives (create, amend, end, bill,
pause, resume); the run itself never reads it."""

from ..models import Engagement
from ..selectors import Billed, preview


def refresh_next_bill_date(engagement: Engagement, *, billed: Billed | None = None) -> None:
    """`billed`: the periods billed, when the caller knows them (the run)."""
    if engagement.paused_from is not None:
        day = None
    else:
        coming, _ = preview(engagement, count=1, billed=billed)
        day = coming[0].bill_date if coming else None
    if day != engagement.next_bill_date:
        engagement.next_bill_date = day
        Engagement.objects.filter(pk=engagement.pk).update(next_bill_date=day)
