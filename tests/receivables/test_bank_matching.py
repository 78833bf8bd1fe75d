"""A proposal says where its invoice stands: a transfer naming an invoice already
settled or closed by hand is proposed with that said, on the page and in the API, and
is not recorded on it by default."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from facturier.core.errors import Invalid
from facturier.invoicing import actions as invoicing
from facturier.invoicing.models import Invoice
from facturier.receivables import actions
from facturier.receivables.models import Payment
from tests.receivables.camt import entry, statement

pytestmark = pytest.mark.django_db
LINE = {"description": "Mission", "quantity": "1", "unit_price": "100.00", "vat_rate": "20"}


@pytest.fixture
def three(make_draft, alice, template):
    """An invoice settled, one closed by hand while it owes 240.00, one owing 360.00."""
    settled, closed, owed = (
        invoicing.finalize_invoice(
            make_draft(lines=[{**LINE, "unit_price": str(100 * n)}]), by=alice
        )
        for n in (1, 2, 3)
    )
    actions.record_payment(
        by=alice,
        client=settled.client_id,
        amount=Decimal("120.00"),
        received_on="2026-11-02",
        allocations=[{"invoice": settled.pk}],
    )
    invoicing.close_invoice(closed, by=alice)
    return [Invoice.objects.get(pk=i.pk) for i in (settled, closed, owed)]


def file_naming(three) -> bytes:
    settled, closed, owed = three
    return statement(
        entry("120.00", text=f"VIR FACTURE {settled.number}", bank_ref="M1"),
        entry("240.00", text=f"VIR FACTURE {closed.number}", bank_ref="M2"),
        entry("360.00", text=f"VIR FACTURE {owed.number}", bank_ref="M3"),
    )


def test_each_proposal_says_where_its_invoice_stands(alice, three):
    imported = actions.import_bank_statement(by=alice, data=file_naming(three))
    lines = list(imported.lines.order_by("line"))
    assert [(line.invoice_id, line.invoice_standing) for line in lines] == [
        (three[0].pk, "settled"),
        (three[1].pk, "closed"),
        (three[2].pk, "open"),
    ]
    # Recording the second payment of a settled invoice is refused, naming the line.
    with pytest.raises(Invalid) as refused:
        actions.confirm_statement_lines(
            imported, by=alice, decisions=[{"line": lines[0].pk, "invoice": three[0].pk}]
        )
    assert "Line 1" in str(refused.value.errors)
    assert Payment.objects.count() == 1


def test_an_amount_alone_never_proposes_a_settled_invoice(alice, three):
    imported = actions.import_bank_statement(
        by=alice, data=statement(entry("120.00", text="VIREMENT", bank_ref="A1"))
    )
    assert imported.lines.get().invoice_id is None


def test_the_page_and_the_api_show_the_standing(client, api, alice, three):
    answer = api.post(
        "/api/v1/statements/",
        {"file": SimpleUploadedFile("m.xml", file_naming(three))},
        format="multipart",
    )
    assert answer.status_code == 201
    body = answer.json()
    assert [line["invoice_standing"] for line in body["lines"]] == ["settled", "closed", "open"]
    client.force_login(type(alice).objects.get(pk=alice.pk))
    page = client.get(reverse("billing:statement", args=[body["id"]]))
    text = page.content.decode()
    assert f"Invoice {three[0].number}: already settled." in text
    assert f"Invoice {three[1].number}: closed by hand, still owing." in text
    assert text.count("data-standing=") == 2
    # Only the invoice still owed is recorded by default.
    choices = [choice for _line, _number, choice, _problem in page.context["rows"]]
    assert choices == ["later", "later", "record"]
