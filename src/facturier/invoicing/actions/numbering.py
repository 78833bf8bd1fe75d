"""The firm's invoice numbering, as Settings edits it."""

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError

from facturier.core.actions import action
from facturier.core.errors import Invalid
from facturier.firms import audit
from facturier.firms.actions import require_settings_right

from ..models import InvoiceSequence

FIELDS = ("prefix", "padding_char", "padding_length", "next_number")


@action
def update_numbering(*, by, fields: Mapping[str, Any]) -> InvoiceSequence:
    """Change how the firm's next numbers look, and where they continue from.

    Read under the lock finalizations take, so the next number never goes back
    (a lower one would be given a second time): a lower value keeps the current.
    """
    require_settings_right(by)
    sequence, _created = InvoiceSequence.objects.get_or_create(firm_id=by.firm_id)
    sequence = InvoiceSequence.objects.select_for_update().get(pk=sequence.pk)
    before = audit.values(sequence, FIELDS)
    for name in FIELDS:
        if name in fields:
            setattr(sequence, name, fields[name])
    sequence.next_number = max(sequence.next_number, before["next_number"])
    try:
        sequence.full_clean(exclude=["firm"])
    except ValidationError as exc:
        raise Invalid.from_django(exc) from None
    changed = audit.changes(before, audit.values(sequence, FIELDS))
    if changed:
        sequence.save()
        audit.record("numbering.changed", sequence, by=by, firm_id=by.firm_id, details=changed)
    return sequence
