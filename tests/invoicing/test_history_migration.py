"""The invoice histories written before the one audit trail move into it whole, under
their new names, and back again if the migration is reversed."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)
BEFORE = [("invoicing", "0016_list_due_index"), ("firms", "0007_audit_names_in_one_spelling")]
AFTER = [
    ("invoicing", "0017_invoice_history_in_the_audit_trail"),
    ("firms", "0008_invoice_history_in_the_audit_trail"),
]
AT = datetime.datetime(2026, 3, 2, 9, 30, tzinfo=datetime.UTC)


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def back_to_the_latest():
    """Whatever the test did to the schema, the tests after it find every migration."""
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_invoice_events_move_into_the_audit_trail_and_back(
    firm, alice, finalized, back_to_the_latest
):
    old = migrate(BEFORE)
    InvoiceEvent = old.get_model("invoicing", "InvoiceEvent")
    InvoiceEvent.objects.all().delete()
    rows = [
        ("finalize", finalized.pk, finalized.number, "draft", "finalized", {"number": "F1"}),
        ("payment", finalized.pk, finalized.number, "", "", {"amount": "120.00"}),
        ("delete", None, "#77", "draft", "", {}),  # a deleted draft: its id in its ref
    ]
    for action, invoice_id, ref, before, after, details in rows:
        InvoiceEvent.objects.create(
            firm_id=firm.pk,
            invoice_id=invoice_id,
            invoice_ref=ref,
            action=action,
            from_status=before,
            to_status=after,
            actor_id=alice.pk,
            at=AT,
            details=details,
        )
    new = migrate(AFTER)
    AuditEvent = new.get_model("firms", "AuditEvent")
    moved = AuditEvent.objects.filter(target_type="invoicing.invoice", at=AT).order_by("id")
    assert [
        (e.action, e.target_id, e.target, e.from_status, e.to_status, e.details) for e in moved
    ] == [
        (
            "invoice.finalized",
            str(finalized.pk),
            finalized.number,
            "draft",
            "finalized",
            {"number": "F1"},
        ),
        ("invoice.paid", str(finalized.pk), finalized.number, "", "", {"amount": "120.00"}),
        ("invoice.deleted", "77", "#77", "draft", "", {}),
    ]
    assert all(e.actor_id == alice.pk and e.firm_id == firm.pk for e in moved)
    back = migrate(BEFORE)
    restored = back.get_model("invoicing", "InvoiceEvent").objects.filter(at=AT).order_by("id")
    assert [(e.action, e.invoice_id, e.invoice_ref) for e in restored] == [
        ("finalize", finalized.pk, finalized.number),
        ("payment", finalized.pk, finalized.number),
        ("delete", None, "#77"),
    ]
