"""The finalization's locked writes: the row updated and the event inserted as save()
would write them (auto_now, JSON, foreign keys), both taken back with the transaction."""

import datetime

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from facturier.core.compiled_sql import insert, update_and_insert
from facturier.firms.models import AuditEvent
from facturier.invoicing.models import Invoice

pytestmark = pytest.mark.django_db(transaction=True)

AT = datetime.datetime(2027, 1, 4, 9, 30, tzinfo=datetime.UTC)


def _event(invoice, alice, number):
    return _row(invoice.firm_id, alice, invoice.pk, number, action="invoice.finalized")


def _row(firm_id, alice, target_id, target, *, action="invoice.created"):
    return AuditEvent(
        firm_id=firm_id,
        actor=alice,
        at=AT,
        action=action,
        target_type="invoicing.invoice",
        target_id=str(target_id),
        target=target,
        details={"number": target, "amounts": ["1,5", None]},
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


def test_a_refused_update_is_said_and_writes_no_event(make_draft, alice):
    first, second = make_draft(), make_draft()
    first.status, first.number = "finalized", "F-0001"
    with transaction.atomic():
        update_and_insert(first, ["status", "number"], _event(first, alice, "F-0001"))
    second.status, second.number = "finalized", "F-0001"  # the firm's numbers are unique
    with pytest.raises(IntegrityError), transaction.atomic():
        update_and_insert(second, ["status", "number"], _event(second, alice, "F-0001"))
    assert Invoice.objects.get(pk=second.pk).number is None
    assert not AuditEvent.objects.filter(target_id=str(second.pk), action="invoice.finalized")


def test_a_refused_event_takes_the_update_back_with_it(make_draft, alice):
    """The INSERT is refused while the UPDATE would go through: either refusal takes
    both back."""
    invoice = make_draft()
    invoice.status, invoice.number = "finalized", "F-0007"
    event = _event(invoice, alice, "F-0007")
    event.action = None  # NOT NULL
    with pytest.raises(IntegrityError), transaction.atomic():
        update_and_insert(invoice, ["status", "number"], event)
    stored = Invoice.objects.get(pk=invoice.pk)
    assert (stored.status, stored.number) == ("draft", None)


def test_a_row_gone_is_refused_not_written_over(make_draft, alice):
    invoice = make_draft()
    Invoice.objects.filter(pk=invoice.pk).delete()
    invoice.status, invoice.number = "finalized", "F-0009"
    with pytest.raises(DatabaseError), transaction.atomic():
        update_and_insert(invoice, ["status", "number"], _event(invoice, alice, "F-0009"))
    assert not AuditEvent.objects.filter(target_id=str(invoice.pk), action="invoice.finalized")


def test_more_rows_than_one_statement_takes_are_inserted_in_batches(firm, alice, monkeypatch):
    """As bulk_create does: no more rows per statement than the database takes
    parameters for (a draft of thousands of lines), each row with its key."""
    monkeypatch.setattr(connection.ops, "bulk_batch_size", lambda fields, objs: 7)
    events = [_row(firm.pk, alice, n, f"B-{n:04d}") for n in range(20)]
    with CaptureQueriesContext(connection) as queries:
        insert(events)
    assert [q["sql"].count("), (") + 1 for q in queries.captured_queries] == [7, 7, 6]
    assert len({event.pk for event in events}) == 20 and all(event.pk for event in events)
    stored = AuditEvent.objects.filter(action="invoice.created", target__startswith="B-")
    assert sorted(stored.values_list("target", flat=True)) == sorted(e.target for e in events)
