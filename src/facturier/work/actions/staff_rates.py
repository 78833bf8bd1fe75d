"""Staff rates: added from a day on, changed while future or active, never historical."""

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from facturier.core.actions import action
from facturier.core.errors import Invalid, NotFound
from facturier.firms import audit
from facturier.firms.actions import require_settings_right
from facturier.firms.models import User

from .. import rates as rate_rules
from ..models import StaffRate, WorkCode
from .common import LARGEST, own_code, parse_amount


@action
def set_rate(
    *,
    by: User,
    staff: User | int,
    rate,
    effective_from: datetime.date,
    work_code: WorkCode | int | None = None,
    today: datetime.date | None = None,
) -> StaffRate:
    """Add a rate from a day on, or change a future or active one; historical rates stay."""
    require_settings_right(by)
    today = today or timezone.localdate()
    staff_id = staff.pk if isinstance(staff, User) else staff
    if not User.objects.filter(pk=staff_id, firm_id=by.firm_id).exists():
        raise NotFound(gettext_lazy("No such staff member."))
    code_id = work_code.pk if isinstance(work_code, WorkCode) else work_code
    if code_id is not None:
        own_code(by, code_id)
    value = parse_amount(rate)
    if value is None or value < 0 or value > LARGEST:
        raise Invalid({"rate": [_("Enter a rate such as 120.00.")]}, codes={"rate": ["invalid"]})
    same = (
        StaffRate.objects.select_for_update(of=("self",))
        .filter(staff_id=staff_id, work_code_id=code_id)
        .order_by("effective_from")
    )
    existing = same.filter(effective_from=effective_from).first()
    if existing is not None:
        _change_rate(existing, same, value, today)
        row = existing
    else:
        row = StaffRate.objects.create(
            firm_id=by.firm_id,
            staff_id=staff_id,
            work_code_id=code_id,
            rate=value,
            effective_from=effective_from,
        )
    audit.record(
        "rate.saved",
        row,
        by=by,
        firm_id=by.firm_id,
        details={"rate": value, "from": effective_from, "work_code": code_id},
    )
    return row


def _change_rate(existing: StaffRate, same, value, today: datetime.date) -> None:
    """Give a future or active rate its new value; a historical one is refused."""
    successor = (
        same.filter(effective_from__gt=existing.effective_from)
        .order_by("effective_from")
        .values_list("effective_from", flat=True)
        .first()
    )
    if rate_rules.rate_state(existing, successor, today) == "historical":
        raise Invalid(
            {"effective_from": [_("A historical rate cannot be changed.")]},
            codes={"effective_from": ["historical"]},
        )
    existing.rate = value
    existing.save(update_fields=["rate"])
