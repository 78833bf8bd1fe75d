"""Index values typed in Settings (the firm's, for revisions by index ratio)."""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from facturier.core.actions import action
from facturier.core.errors import Invalid
from facturier.firms import audit
from facturier.firms.actions import require_settings_right
from facturier.firms.models import User

from ..models import IndexValue


@action
def save_index_value(name: str, *, by: User, date: datetime.date, value: Decimal) -> IndexValue:
    """The index's value from `date` (typed anew: replaced)."""
    require_settings_right(by)
    name = str(name or "").strip()
    if not name:
        raise Invalid({"name": [_("Name the index.")]}, codes={"name": ["required"]})
    row = IndexValue.objects.filter(firm_id=by.firm_id, name=name, date=date).first()
    row = row or IndexValue(firm_id=by.firm_id, name=name, date=date)
    row.value = value
    try:
        row.full_clean(exclude=["firm"], validate_constraints=False)
    except ValidationError as exc:
        raise Invalid.from_django(exc) from None
    row.save()
    audit.record(
        "index_value.saved", row, by=by, firm_id=by.firm_id, details={"date": date, "value": value}
    )
    return row
