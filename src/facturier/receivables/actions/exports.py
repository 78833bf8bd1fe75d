"""The firm's ledger accounts, as its accountant set them for the exports."""

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from facturier.core.actions import action
from facturier.core.errors import Invalid
from facturier.firms import audit
from facturier.firms.actions import require_settings_right
from facturier.firms.models import User

from ..events import AuditName
from ..models import LedgerAccounts

FIELDS = (*LedgerAccounts.CODES, "fiscal_year_start")


@action
def save_ledger(firm_id: int, *, by: User, fields: Mapping[str, Any]) -> LedgerAccounts:
    require_settings_right(by)
    ledger, _created = LedgerAccounts.objects.select_for_update().get_or_create(firm_id=firm_id)
    errors, codes = {}, {}
    for name in FIELDS:
        if name not in fields:
            continue
        value = fields[name]
        if name == "fiscal_year_start":
            if not isinstance(value, int) or not 1 <= value <= 12:
                errors[name], codes[name] = [_("A month, from 1 to 12.")], ["invalid"]
            continue
        value = str(value or "").strip()
        if not value or not value.isalnum():
            errors[name] = [_("Letters and digits only.")]
            codes[name] = ["invalid"]
    if errors:
        raise Invalid(errors, codes=codes)
    before = audit.values(ledger, FIELDS)
    for name in FIELDS:
        if name in fields:
            setattr(
                ledger,
                name,
                fields[name] if name == "fiscal_year_start" else str(fields[name]).strip(),
            )
    ledger.save()
    changed = audit.changes(before, audit.values(ledger, FIELDS))
    if changed:
        audit.record(
            AuditName.LEDGER_ACCOUNTS_SAVED, ledger, by=by, firm_id=firm_id, details=changed
        )
    return ledger
