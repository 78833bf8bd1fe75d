"""The camt.053 credit of a direct-debit batch, as banks book it (one entry for many
debits), settles the debits: with one TxDtls per debit, each end-to-end id; without, the
batch named by its payment information id or message id, for its total. One payment per
invoice, by direct debit; what matches nothing stays on the statement for a person."""

from decimal import Decimal

import pytest

from facturier.firms.models import AuditEvent
from facturier.invoicing import actions as invoicing
from facturier.invoicing.models import Invoice
from facturier.receivables import actions, pain008
from facturier.receivables.models import Debit, Payment
from tests.receivables.bank_camt053 import batch_entry, debit_detail, statement
from tests.receivables.test_debit_returns import a_return
from tests.receivables.test_direct_debits import LINE, MANDATE
from tests.receivables.test_direct_debits import sepa as sepa  # noqa: F401  (fixture)
from tests.receivables.test_direct_debits import settings_user as settings_user  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def batch(sepa, alice, client_entity, make_draft, template):  # noqa: F811
    """Three invoices (120.00, 300.00, 120.00) debited in one exported batch."""
    actions.create_mandate(client_entity, by=alice, fields=MANDATE)
    for price in ("100.00", "250.00", "100.00"):
        invoice = invoicing.finalize_invoice(
            make_draft(lines=[{**LINE, "unit_price": price}]), by=alice
        )
        actions.schedule_debit(invoice, by=alice)
    exported = actions.export_debit_batch(by=alice)
    debits = list(Debit.objects.order_by("pk"))
    assert [d.amount for d in debits] == [Decimal("120.00"), Decimal("300.00"), Decimal("120.00")]
    return exported, debits


def settled_as_one_payment_each(debits) -> None:
    for debit in debits:
        debit.refresh_from_db()
        assert debit.status == "settled"
        payment = debit.payment
        assert payment.method == "direct_debit" and payment.amount == debit.amount
        assert Invoice.objects.get(pk=debit.invoice_id).balance == 0
    assert Payment.objects.count() == len(debits)
    assert AuditEvent.objects.filter(action="debit.settled").count() == len(debits)


def test_one_entry_with_a_detail_per_debit_settles_each(alice, batch):
    _exported, debits = batch
    details = [debit_detail(f"DD{d.pk}", d.amount, "RUM-2026-001", "Client SA") for d in debits]
    data = statement(batch_entry(total=Decimal("540.00"), count=3, details=details))
    imported = actions.import_bank_statement(by=alice, data=data)
    lines = list(imported.lines.order_by("line"))
    assert [(line.state, line.match) for line in lines] == [("confirmed", "debit")] * 3
    assert [line.invoice_id for line in lines] == [d.invoice_id for d in debits]
    settled_as_one_payment_each(debits)


def test_entries_without_details_settle_the_debits_of_their_payment_information(alice, batch):
    exported, debits = batch
    # The file holds a FRST group (the mandate's first debit) and a RCUR group: the bank
    # books each group as one entry, named by its PmtInfId.
    informations = pain008.payment_informations(bytes(exported.xml))
    assert sorted(len(ids) for ids in informations.values()) == [1, 2]
    amounts = {f"DD{d.pk}": d.amount for d in debits}
    entries = [
        batch_entry(
            total=sum(amounts[e] for e in ids),
            count=len(ids),
            payment_information=ident,
            reference=f"R{n}",
        )
        for n, (ident, ids) in enumerate(informations.items())
    ]
    lines = list(
        actions.import_bank_statement(by=alice, data=statement(*entries)).lines.order_by("line")
    )
    assert [(line.state, line.match) for line in lines] == [("confirmed", "debit")] * 2
    assert sorted(line.amount for line in lines) == [Decimal("120.00"), Decimal("420.00")]
    settled_as_one_payment_each(debits)


def test_a_bank_giving_only_the_message_id_settles_the_batch(alice, batch):
    exported, debits = batch
    data = statement(batch_entry(total=Decimal("540.00"), count=3, message_id=exported.message_id))
    assert actions.import_bank_statement(by=alice, data=data).lines.get().state == "confirmed"
    settled_as_one_payment_each(debits)


def test_a_total_that_differs_or_an_unknown_batch_is_left_for_a_person(alice, batch):
    exported, debits = batch
    data = statement(
        batch_entry(total=Decimal("420.00"), count=2, message_id=exported.message_id),
        batch_entry(
            total=Decimal("540.00"), count=3, payment_information="UNKNOWN-1", reference="R2"
        ),
    )
    lines = list(actions.import_bank_statement(by=alice, data=data).lines.order_by("line"))
    assert [line.state for line in lines] == ["proposed", "proposed"]
    assert [line.reference for line in lines] == [exported.message_id, "UNKNOWN-1"]
    assert set(Debit.objects.values_list("status", flat=True)) == {"sent"}
    assert not Payment.objects.exists()


def test_a_return_after_the_batch_settled_reopens_that_invoice_only(alice, batch):
    exported, debits = batch
    data = statement(batch_entry(total=Decimal("540.00"), count=3, message_id=exported.message_id))
    actions.import_bank_statement(by=alice, data=data)
    returned = debits[1]
    actions.import_bank_statement(by=alice, data=a_return(f"DD{returned.pk}", "AM04", "300.00"))
    statuses = list(Debit.objects.order_by("pk").values_list("status", "return_reason"))
    assert statuses == [("settled", ""), ("returned", "AM04"), ("settled", "")]
    balances = [Invoice.objects.get(pk=d.invoice_id).balance for d in debits]
    assert balances == [0, Decimal("300.00"), 0]
    assert Payment.objects.count() == 2
