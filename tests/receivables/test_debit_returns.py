"""A direct debit the bank sends back: the camt.053 settles it (recorded as a payment),
a camt.054 R-transaction returns it with its ISO reason, which cancels the payment and
reopens the invoice; AC04 and MD01 revoke the mandate; a return naming no debit of ours
stays on the statement, set aside."""

from decimal import Decimal

import pytest

from facturier.core.errors import InvalidTransition
from facturier.firms.models import AuditEvent
from facturier.invoicing import actions as invoicing
from facturier.invoicing.models import Invoice
from facturier.receivables import actions
from facturier.receivables.models import Debit, Mandate, Payment
from tests.receivables.camt import document, ntry, tx
from tests.receivables.test_direct_debits import LINE, MANDATE
from tests.receivables.test_direct_debits import sepa as sepa  # noqa: F401  (fixture)
from tests.receivables.test_direct_debits import settings_user as settings_user  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(sepa, alice, client_entity, make_draft, template):  # noqa: F811
    """An invoice of 120.00 debited, its batch exported, its settlement recorded (the
    camt.053's line names the debit: it is recorded on import)."""
    actions.create_mandate(client_entity, by=alice, fields=MANDATE)
    invoice = invoicing.finalize_invoice(make_draft(lines=[LINE]), by=alice)
    debit = actions.schedule_debit(invoice, by=alice)
    actions.export_debit_batch(by=alice)
    settled = actions.import_bank_statement(
        by=alice, data=document(ntry("120.00", tx(end_to_end=f"DD{debit.pk}"), family="BBDD"))
    )
    line = settled.lines.get()
    assert (line.state, line.match, line.invoice_id) == ("confirmed", "debit", invoice.pk)
    assert Invoice.objects.get(pk=invoice.pk).balance == 0
    return invoice, debit


def a_return(reference: str, reason: str, amount="120.00") -> bytes:
    return document(
        ntry(
            amount,
            tx(end_to_end=reference, returned=reason),
            credit=False,
            family="UPDD",
            day="2026-11-25",
        ),
        message="camt.054",
        version="08",
    )


def test_an_am04_return_reopens_the_invoice_and_keeps_the_mandate(alice, sent):
    invoice, debit = sent
    notification = actions.import_bank_statement(by=alice, data=a_return(f"DD{debit.pk}", "AM04"))
    debit = Debit.objects.get(pk=debit.pk)
    assert (debit.status, debit.return_reason) == ("returned", "AM04")
    invoice = Invoice.objects.get(pk=invoice.pk)
    assert (invoice.status, invoice.balance) == ("finalized", Decimal("120.00"))
    assert not Payment.objects.exists()
    assert notification.lines.get().state == "undone"
    assert Mandate.objects.get().status == "active"
    event = AuditEvent.objects.get(action="debit.returned")
    assert event.details["reason"] == "AM04" and event.target_id == str(invoice.pk)


@pytest.mark.parametrize("reason", ["AC04", "MD01"])
def test_a_closed_account_or_no_mandate_revokes_the_mandate(alice, sent, reason):
    _invoice, debit = sent
    actions.import_bank_statement(by=alice, data=a_return(f"DD{debit.pk}", reason))
    assert Mandate.objects.get().status == "revoked"
    assert Debit.objects.get().return_reason == reason


def test_a_return_naming_no_debit_of_ours_stays_on_the_statement(alice, sent):
    line = actions.import_bank_statement(by=alice, data=a_return("DD999999", "MS02")).lines.get()
    assert (line.state, line.skip) == ("skipped", "return")
    assert Debit.objects.get().status == "settled"
    assert Payment.objects.count() == 1


def test_a_debit_returns_once(alice, sent):
    _invoice, debit = sent
    actions.return_debit(debit, by=alice, reason="MD06")
    with pytest.raises(InvalidTransition):
        actions.return_debit(debit, by=alice, reason="MD06")
