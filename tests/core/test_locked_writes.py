"""The finalization's locked writes: the row updated and the event inserted as save()
would write them (auto_now, JSON, foreign keys), both taken back with the transaction."""

import datetime

import pytest
from django.db import IntegrityError, transaction

from facturier.core.compiled_sql import update_and_insert
from facturier.firms.models import AuditEvent
from facturier.invoicing.models import Invoice

pytestmark = pytest.mark.django_db(transaction=True)

AT = datetime.datetime(2027, 1, 4, 9, 30, tzinfo=datetime.UTC)


def _event(invoice, alice, number):
    return AuditEvent(
        firm_id=invoice.firm_id,
        actor=alice,
        at=AT,
        action="invoice.finalized",
        target_type="invoicing.invoice",
        target_id=str(invoice.pk),
        target=number,
        details={"number": number, "amounts": ["1,5", None]},
    )


def test_the_row_and_the_event_are_written_as_save_would(make_draft, alice):
    invoice = make_draft()
    before = Invoice.objects.get(pk=invoice.pk).updated_at
    invoice.number, invoice.snapshot = "F-0042", {"number": "F-0042", "lines": [{"q": "2"}]}
    invoice.status, invoice.finalized_by = "finalized", alice
    written = _event(invoice, alice, "F-0042")
    with transaction.atomic():
        update_and_insert(
            invoice, ["status", "number", "snapshot", "finalized_by", "updated_at"], written
        )
    stored = Invoice.objects.get(pk=invoice.pk)
    assert (stored.number, stored.finalized_by_id) == ("F-0042", alice.pk)
    assert stored.snapshot == {"number": "F-0042", "lines": [{"q": "2"}]}
    assert stored.updated_at > before  # auto_now, as save() sets it
    event = AuditEvent.objects.get(target_id=str(invoice.pk), action="invoice.finalized")
    assert event.pk == written.pk  # the key the INSERT returned
    assert (event.actor_id, event.at, event.target) == (alice.pk, AT, "F-0042")
    assert event.details == {"number": "F-0042", "amounts": ["1,5", None]}


def test_a_refused_update_takes_the_event_back_with_it(make_draft, alice):
    first, second = make_draft(), make_draft()
    first.status, first.number = "finalized", "F-0001"
    with transaction.atomic():
        update_and_insert(first, ["status", "number"], _event(first, alice, "F-0001"))
    second.status, second.number = "finalized", "F-0001"  # the firm's numbers are unique
    with pytest.raises(IntegrityError), transaction.atomic():
        update_and_insert(second, ["status", "number"], _event(second, alice, "F-0001"))
    assert Invoice.objects.get(pk=second.pk).number is None
    assert not AuditEvent.objects.filter(target_id=str(second.pk), action="invoice.finalized")
