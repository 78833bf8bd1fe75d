"""Credit notes: drafted from an issued invoice, numbered in their own series, never more
than what is left to credit, applied to the invoice's balance, and real 381 e-invoices."""

import datetime
import io
from decimal import Decimal

import facturx
import pytest
from django.contrib.auth.models import Permission
from django.utils import translation
from django_tasks_db.models import DBTaskResult
from lxml import etree
from pypdf import PdfReader

from facturier.core.errors import DomainError, Invalid, InvalidTransition, NotAllowed
from facturier.invoicing import actions, numbering
from facturier.invoicing.documents import build_cii, build_ubl
from facturier.invoicing.models import Invoice, InvoiceSequence
from facturier.invoicing.selectors import invoice_events
from facturier.receivables import actions as receivables
from facturier.receivables import dunning
from facturier.receivables.selectors import client_credit
from tests.invoicing.test_einvoice import UBL_SCHEMATRON, business_rule_errors

pytestmark = pytest.mark.django_db
LINES = [
    {"description": "Tenue comptable", "quantity": "3", "unit_price": "100.00", "vat_rate": "20"},
    {"description": "Conseil", "quantity": "1", "unit_price": "50.00", "vat_rate": "10"},
]  # 300 + 60 VAT, 50 + 5 VAT: 415.00
CII = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
}
UBL = {
    "cn": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}


@pytest.fixture
def invoice(make_draft, alice, template):
    return actions.finalize_invoice(make_draft(lines=LINES), by=alice)


def fresh(document) -> Invoice:
    return Invoice.objects.get(pk=document.pk)


def test_a_total_credit_note_is_numbered_apart_and_clears_the_balance(invoice, alice):
    draft = actions.create_credit_note(invoice, by=alice)
    assert (draft.kind, draft.status, draft.corrects_id) == ("credit_note", "draft", invoice.pk)
    assert draft.total_gross == invoice.total_gross == Decimal("415.00")
    assert [line.description for line in draft.lines.all()] == ["Tenue comptable", "Conseil"]
    credit_note = actions.finalize_invoice(draft, by=alice)
    assert credit_note.number == "AV-0000001"  # its own series, its own prefix
    assert credit_note.balance is None  # a credit note owes nothing
    assert (credit_note.credit_applied, credit_note.credit_left) == (Decimal("415.00"), 0)
    invoice = fresh(invoice)
    assert (invoice.balance, invoice.status) == (Decimal("0.00"), "closed")
    event = invoice_events(invoice=invoice).get(action="invoice.credited")
    assert event.details["credit_note"] == "AV-0000001" and event.details["amount"] == "415.00"
    # The next invoice continues the invoices' series, unaffected.
    assert invoice.number.endswith("1")


def test_a_firm_may_number_credit_notes_with_its_invoices(invoice, alice, firm, make_draft):
    firm.credit_notes_own_series = False
    firm.save()
    credit_note = actions.finalize_invoice(actions.create_credit_note(invoice, by=alice), by=alice)
    later = actions.finalize_invoice(make_draft(lines=LINES), by=alice)
    numbers = [invoice.number, credit_note.number, later.number]
    assert [int(n) for n in numbers] == [1, 2, 3]


def test_partial_by_lines_and_by_amounts_never_exceed_what_is_left(invoice, alice):
    by_lines = actions.create_credit_note(invoice, by=alice, lines=[{"line": 0, "quantity": 1}])
    assert by_lines.total_gross == Decimal("120.00")
    actions.finalize_invoice(by_lines, by=alice)
    assert fresh(invoice).balance == Decimal("295.00")

    by_amount = actions.create_credit_note(
        invoice, by=alice, amounts=[{"vat_rate": "10", "amount": "20.00"}]
    )
    assert by_amount.total_gross == Decimal("22.00")
    assert "VAT" in by_amount.lines.get().description or "TVA" in by_amount.lines.get().description
    actions.finalize_invoice(by_amount, by=alice)
    assert fresh(invoice).balance == Decimal("273.00")

    with pytest.raises(Invalid) as refused:
        actions.create_credit_note(
            invoice, by=alice, amounts=[{"vat_rate": "20", "amount": "300.00"}]
        )  # 360.00 > 273.00 left
    assert refused.value.codes["lines"] == ["exceeds_invoice"]
    with pytest.raises(InvalidTransition):  # "all of it" once part is credited
        actions.create_credit_note(invoice, by=alice)
    with pytest.raises(Invalid) as refused:
        actions.create_credit_note(invoice, by=alice, lines=[{"line": 0, "quantity": 4}])
    assert refused.value.codes["lines.0.quantity"] == ["exceeds_invoice"]
    with pytest.raises(Invalid) as refused:
        actions.create_credit_note(invoice, by=alice, amounts=[{"vat_rate": "5.5", "amount": 1}])
    assert refused.value.codes["amounts.0.vat_rate"] == ["invalid"]


def test_an_invoice_with_a_discount_on_the_whole_is_credited_as_it_was_billed(
    make_draft, alice, template
):
    """Its lines credited bear its discount as they did: all of it is the invoice's total
    (not refused as more than billed), half a line is half what that line cost."""
    discounted = actions.finalize_invoice(
        make_draft(lines=LINES, discount_percent=Decimal("10")), by=alice
    )
    assert discounted.total_gross == Decimal("373.50")  # 415.00 less 10 %
    half = actions.create_credit_note(discounted, by=alice, lines=[{"line": 0, "quantity": 1}])
    assert half.total_gross == Decimal("108.00")  # 100 less 10 %, plus 20 % VAT
    actions.delete_draft(half, by=alice)
    whole = actions.finalize_invoice(actions.create_credit_note(discounted, by=alice), by=alice)
    assert whole.total_gross == Decimal("373.50")
    assert business_rule_errors(build_cii(whole.snapshot)) == []  # its discount, declared
    assert (fresh(discounted).balance, fresh(discounted).status) == (Decimal("0.00"), "closed")


def test_more_than_is_left_is_refused_in_the_users_words(invoice, alice):
    with translation.override("fr"), pytest.raises(Invalid) as refused:
        actions.create_credit_note(
            invoice, by=alice, amounts=[{"vat_rate": "20", "amount": "1000.00"}]
        )
    message = str(refused.value.errors["lines"][0]).replace("\u202f", " ").replace("\xa0", " ")
    assert "(1 200,00 €)" in message and "(415,00 €)" in message


def test_two_drafts_together_cannot_credit_more_than_the_invoice(invoice, alice):
    first = actions.create_credit_note(invoice, by=alice)
    second = actions.create_credit_note(invoice, by=alice)  # drafts do not count yet
    actions.finalize_invoice(first, by=alice)
    numbers_before = Invoice.objects.exclude(number=None).count()
    with pytest.raises(Invalid) as refused:
        actions.finalize_invoice(second, by=alice)
    assert refused.value.codes["lines"] == ["exceeds_invoice"]
    assert fresh(second).status == "draft" and fresh(second).number is None
    assert Invoice.objects.exclude(number=None).count() == numbers_before  # no number lost


def test_editing_a_credit_note_draft_keeps_its_client_and_its_limit(
    invoice, alice, make_client, firm
):
    draft = actions.create_credit_note(invoice, by=alice, lines=[{"line": 1}])
    other = make_client(firm, name="Autre SARL")
    other.owners.add(alice)
    with pytest.raises(Invalid) as refused:
        actions.update_draft(draft, by=alice, client=other.pk)
    assert refused.value.codes["client"] == ["fixed_by_invoice"]
    with pytest.raises(Invalid) as refused:
        actions.update_draft(
            draft,
            by=alice,
            lines=[{"description": "Trop", "quantity": "1", "unit_price": "400", "vat_rate": "20"}],
        )
    assert refused.value.codes["lines"] == ["exceeds_invoice"]
    updated = actions.update_draft(draft, by=alice, client=invoice.client_id, notes="Geste")
    assert updated.notes == "Geste"


def test_a_paid_invoice_credited_becomes_client_credit(invoice, alice):
    receivables.record_payment(
        by=alice, client=invoice.client_id, amount="415.00", received_on=datetime.date.today()
    )
    credit_note = actions.finalize_invoice(
        actions.create_credit_note(invoice, by=alice, lines=[{"line": 1}]), by=alice
    )
    assert (credit_note.credit_applied, credit_note.credit_left) == (0, Decimal("55.00"))
    assert client_credit(user=alice, client_id=invoice.client_id) == {"EUR": Decimal("55.00")}


def test_a_payments_remainder_and_a_credit_notes_credit_of_the_same_amount_add_up(invoice, alice):
    """Reminders read both in one query: two equal amounts are two credits, not one."""
    receivables.record_payment(
        by=alice, client=invoice.client_id, amount="415.00", received_on=datetime.date.today()
    )
    actions.finalize_invoice(
        actions.create_credit_note(invoice, by=alice, lines=[{"line": 1}]), by=alice
    )
    receivables.record_payment(
        by=alice, client=invoice.client_id, amount="55.00", received_on=datetime.date.today()
    )
    assert client_credit(user=alice, client_id=invoice.client_id) == {"EUR": Decimal("110.00")}
    assert dunning.client_credit({invoice.client_id}) == {
        (invoice.client_id, "EUR"): Decimal("110.00")
    }


def test_who_may_credit_and_what(invoice, staff, make_draft, alice):
    for name in ("owner_only", "processor_only"):
        with pytest.raises(NotAllowed):
            actions.create_credit_note(invoice, by=staff[name])
    with pytest.raises(InvalidTransition):
        actions.create_credit_note(make_draft(), by=alice)  # a draft is not credited
    credit_note = actions.finalize_invoice(
        actions.create_credit_note(invoice, by=alice, lines=[{"line": 1}]), by=alice
    )
    with pytest.raises(InvalidTransition):
        actions.create_credit_note(credit_note, by=alice)  # nor is a credit note


def test_the_same_prefix_for_both_series_is_refused(alice, invoice):
    alice.user_permissions.add(Permission.objects.get(codename="manage_templates"))
    alice = type(alice).objects.get(pk=alice.pk)
    with pytest.raises(Invalid) as refused:
        actions.update_numbering(by=alice, fields={"prefix": ""}, series="credit_note")
    assert refused.value.codes["prefix"] == ["same_as_other_series"]
    actions.update_numbering(by=alice, fields={"prefix": "AVOIR-"}, series="credit_note")
    with pytest.raises(Invalid):
        actions.update_numbering(by=alice, fields={"prefix": "AVOIR-"})  # nor the other way


def test_a_number_two_series_would_share_is_refused_not_a_500(alice, invoice, firm):
    # Prefixes that differ as written may still give the same text ({year} expanded).
    InvoiceSequence.objects.filter(firm=firm, series="invoice").update(prefix="AV-", next_number=1)
    Invoice.objects.filter(pk=invoice.pk).update(number="AV-0000001")
    draft = actions.create_credit_note(invoice, by=alice)
    numbering.sequence_for(firm, "credit_note").save()  # its row exists: a gap would show
    next_before = numbering.sequence_for(firm, "credit_note").next_number
    with pytest.raises(DomainError) as refused:
        actions.finalize_invoice(draft, by=alice)
    assert refused.value.code == "number_taken"
    assert Invoice.objects.get(pk=draft.pk).status == "draft"
    # The number it reserved is given back: the next credit note takes it, no gap.
    assert numbering.sequence_for(firm, "credit_note").next_number == next_before
    # Nothing of it stays: its entries, its PDF task, its events were in its transaction.
    assert not DBTaskResult.objects.filter(args_kwargs__args=[draft.pk]).exists()


# --- The documents --------------------------------------------------------------------


@pytest.fixture
def credit_note(invoice, alice):
    return actions.finalize_invoice(
        actions.create_credit_note(invoice, by=alice, lines=[{"line": 0, "quantity": 2}]),
        by=alice,
    )


def test_its_cii_is_a_381_naming_the_invoice_and_passes_en16931(credit_note, invoice):
    xml = build_cii(credit_note.snapshot)
    facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert business_rule_errors(xml) == []
    tree = etree.fromstring(xml)
    assert tree.findtext(".//rsm:ExchangedDocument/ram:TypeCode", namespaces=CII) == "381"
    referenced = tree.find(".//ram:InvoiceReferencedDocument", CII)
    assert referenced.findtext("ram:IssuerAssignedID", namespaces=CII) == invoice.number
    assert referenced.findtext(
        "ram:FormattedIssueDateTime/qdt:DateTimeString", namespaces=CII
    ) == invoice.issue_date.strftime("%Y%m%d")
    total = tree.findtext(".//ram:GrandTotalAmount", namespaces=CII)
    assert Decimal(total) == credit_note.total_gross == Decimal("240.00")  # positive


def test_its_ubl_is_a_credit_note_not_a_negative_invoice(credit_note, invoice):
    xml = build_ubl(credit_note.snapshot)
    facturx.xml_check_xsd(xml, flavor="ubl-2.1-creditnote")
    assert business_rule_errors(xml, UBL_SCHEMATRON) == []
    tree = etree.fromstring(xml)
    assert etree.QName(tree).localname == "CreditNote"
    assert tree.findtext("cbc:CreditNoteTypeCode", namespaces=UBL) == "381"
    reference = tree.find("cac:BillingReference/cac:InvoiceDocumentReference", UBL)
    assert reference.findtext("cbc:ID", namespaces=UBL) == invoice.number
    assert reference.findtext("cbc:IssueDate", namespaces=UBL) == invoice.issue_date.isoformat()
    assert tree.findtext("cac:CreditNoteLine/cbc:CreditedQuantity", namespaces=UBL) == "2"


def test_its_pdf_is_titled_credit_note_names_the_invoice_and_embeds_the_xml(
    credit_note, invoice, client_entity
):
    pdf = actions.pdf_for(credit_note)
    reader = PdfReader(io.BytesIO(pdf))
    text = reader.pages[0].extract_text()
    assert "Avoir" in text and credit_note.number in text  # the client writes French
    assert invoice.number in text
    name, xml = facturx.get_xml_from_pdf(pdf, check_xsd=False)
    assert xml == build_cii(credit_note.snapshot)


def test_a_credit_note_is_mailed_through_the_outbox_with_its_own_words(
    credit_note, alice, smtp_server
):
    from facturier.invoicing import email_outbox
    from facturier.invoicing.emails import default_message, default_subject

    (queued,) = actions.send_invoices(
        [credit_note],
        by=alice,
        subject=default_subject("fr", "credit_note"),
        message=default_message("fr", "credit_note"),
    )
    assert email_outbox.deliver(queued.pk) == "sent"
    (message,) = smtp_server.messages
    assert message["Subject"] == f"Avoir {credit_note.number} de Cabinet Test"
    assert "l'avoir " + credit_note.number in message.get_body(("plain",)).get_content()
    (part,) = list(message.iter_attachments())
    assert part.get_filename() == f"{credit_note.number}.pdf"
    assert part.get_content() == actions.pdf_for(credit_note)
