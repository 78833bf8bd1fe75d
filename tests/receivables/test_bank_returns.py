"""A bank file's return sends back the money of a transfer recorded as a payment: it is
shown with the line it returns, and cancelling that payment reopens the invoice."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from facturier.core.errors import Invalid
from facturier.invoicing import actions as invoicing
from facturier.invoicing.models import Invoice
from facturier.receivables import actions
from facturier.receivables.models import Payment
from tests.receivables.camt import document, ntry, tx

pytestmark = pytest.mark.django_db
LINE = {"description": "Mission", "quantity": "1", "unit_price": "100.00", "vat_rate": "20"}


@pytest.fixture
def paid(make_draft, alice, template):
    """An invoice of 120.00 paid by a transfer a bank file brought."""
    invoice = invoicing.finalize_invoice(make_draft(lines=[LINE]), by=alice)
    credit = document(ntry("120.00", tx(end_to_end="VIR-77", text=f"FACTURE {invoice.number}")))
    imported = actions.import_bank_statement(by=alice, data=credit, filename="nov.xml")
    line = imported.lines.get()
    actions.confirm_statement_lines(
        imported, by=alice, decisions=[{"line": line.pk, "invoice": invoice.pk}]
    )
    assert Invoice.objects.get(pk=invoice.pk).status == "closed"
    return invoice, line


def a_return(amount="120.00", reference="VIR-77") -> bytes:
    return document(
        ntry(
            amount,
            tx(end_to_end=reference, returned="AC04"),
            credit=False,
            family="RRTN",
            day="2026-11-25",
        ),
        message="camt.054",
        version="08",
    )


def test_a_return_cancels_the_payment_and_reopens_the_invoice(alice, paid):
    invoice, credit = paid
    notification = actions.import_bank_statement(by=alice, data=a_return())
    line = notification.lines.get()
    assert (line.state, line.skip, line.returns_id, line.invoice_id) == (
        "proposed",
        "return",
        credit.pk,
        invoice.pk,
    )
    assert notification.summary()["set_aside"] == 1
    # Recording it as money received is refused: it is money sent back.
    with pytest.raises(Invalid) as refused:
        actions.confirm_statement_lines(
            notification, by=alice, decisions=[{"line": line.pk, "invoice": invoice.pk}]
        )
    assert refused.value.codes == {"lines.1": ["not_money_received"]}
    actions.confirm_statement_lines(
        notification, by=alice, decisions=[{"line": line.pk, "undo": True}]
    )
    invoice = Invoice.objects.get(pk=invoice.pk)
    assert (invoice.status, invoice.balance) == ("finalized", Decimal("120.00"))
    assert not Payment.objects.exists()
    line.refresh_from_db()
    assert line.state == "undone"


def test_a_return_of_another_amount_or_reference_is_only_reported(alice, paid):
    for data in (a_return(amount="80.00"), a_return(reference="VIR-78")):
        line = actions.import_bank_statement(by=alice, data=data).lines.get()
        assert (line.state, line.skip, line.returns_id) == ("skipped", "return", None)
    assert Payment.objects.count() == 1


def test_only_a_return_cancels_a_payment(alice, paid, make_draft):
    other = invoicing.finalize_invoice(make_draft(lines=[LINE]), by=alice)
    imported = actions.import_bank_statement(
        by=alice, data=document(ntry("120.00", tx(end_to_end="VIR-90"), day="2026-11-26"))
    )
    line = imported.lines.get()
    with pytest.raises(Invalid) as refused:
        actions.confirm_statement_lines(
            imported, by=alice, decisions=[{"line": line.pk, "undo": True}]
        )
    assert refused.value.codes == {"lines.1": ["nothing_to_undo"]}
    assert Payment.objects.count() == 1 and Invoice.objects.get(pk=other.pk).balance > 0


def test_the_api_cancels_a_returned_payment(api, alice, paid):
    invoice, credit = paid
    answer = api.post(
        "/api/v1/statements/", {"file": SimpleUploadedFile("r.xml", a_return())}, format="multipart"
    )
    assert answer.status_code == 201
    (line,) = answer.json()["lines"]
    assert (line["returns"], line["skip"], line["skip_detail"]) == (
        credit.pk,
        "return",
        "AC04 RETOUR",
    )
    done = api.post(
        f"/api/v1/statements/{answer.json()['id']}/confirm/",
        {"decisions": [{"line": line["id"], "undo": True}]},
        format="json",
    )
    assert done.status_code == 200, done.json()
    assert done.json()["lines"][0]["state"] == "undone"
    assert Invoice.objects.get(pk=invoice.pk).status == "finalized"
