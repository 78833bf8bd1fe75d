"""The firm's invoice numbering, as Settings edits it."""

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from facturier.core.actions import action
from facturier.core.errors import Invalid
from facturier.firms import audit
from facturier.firms.actions import require_settings_right
from facturier.firms.models import User

from ..events import AuditName
from ..models import InvoiceSequence, Series
from ..numbering import SERIES_DEFAULTS, wait_for_turn

FIELDS = ("prefix", "padding_char", "padding_length", "next_number")


@action
def update_numbering(
    *, by: User, fields: Mapping[str, Any], series: str = Series.INVOICES
) -> InvoiceSequence:
    """Change how a series' next numbers look, and where they continue from.

    Read under the lock finalizations take, so the next number never goes back
    (a lower one would be given a second time): a lower value keeps the current.
    """
    require_settings_right(by)
    if series not in Series.values:
        raise Invalid({"series": [_("No such numbering series.")]})
    sequence, _created = InvoiceSequence.objects.get_or_create(
        firm_id=by.firm_id, series=series, defaults=SERIES_DEFAULTS[Series(series)]
    )
    wait_for_turn(by.firm_id, series)
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
    _check_apart(sequence)
    changed = audit.changes(before, audit.values(sequence, FIELDS))
    if changed:
        sequence.save()
        audit.record(
            AuditName.NUMBERING_CHANGED,
            sequence,
            by=by,
            firm_id=by.firm_id,
            details={"series": series, **changed},
        )
    return sequence


def _check_apart(sequence: InvoiceSequence) -> None:
    """Two series with the same prefix would give two documents the same number."""
    if not sequence.firm.credit_notes_own_series:
        return  # one series for both: the other is not used
    other = (
        InvoiceSequence.objects.filter(firm_id=sequence.firm_id)
        .exclude(series=sequence.series)
        .first()
    )
    if other is not None and other.prefix == sequence.prefix:
        raise Invalid(
            {"prefix": [_("The invoices and the credit notes need different prefixes.")]},
            codes={"prefix": ["same_as_other_series"]},
        )
