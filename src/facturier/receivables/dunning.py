"""Which reminder level an invoice is due: the rule the worker's pass, "Send a reminder
now" and the dialog's preview share."""

from django.db.models import Max

from .models import ReminderItem, ReminderLevel


def levels_of(firm_id: int) -> tuple[list[ReminderLevel], dict[int, int]]:
    """The firm's levels by day, and each one's rank (1 for the first reminder)."""
    levels = list(ReminderLevel.objects.filter(firm_id=firm_id).order_by("days"))
    return levels, {level.pk: rank for rank, level in enumerate(levels, start=1)}


def level_due(
    levels: list[ReminderLevel], days_from_due: int, last_days: int | None, *, now_asked: bool
) -> ReminderLevel | None:
    """The level to send: never one at or below the last one sent. The worker sends the
    highest whose day has come (no three letters at once after a holiday); a person
    asking now gets the next one, whatever its day."""
    later = [level for level in levels if last_days is None or level.days > last_days]
    if now_asked:
        return later[0] if later else None
    reached = [level for level in later if level.days <= days_from_due]
    return reached[-1] if reached else None


def last_levels(invoice_ids) -> dict[int, int]:
    """Invoice id -> the day of the last level it was reminded at."""
    return dict(
        ReminderItem.objects.filter(invoice__in=list(invoice_ids))
        .values("invoice_id")
        .annotate(days=Max("level__days"))
        .values_list("invoice_id", "days")
        .order_by()
    )
