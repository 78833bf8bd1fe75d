"""Paying an invoice by transfer: its ISO 11649 reference and the EPC QR code on its PDF,
read back as a banking app reads them."""

import io

import facturx
import pypdfium2
import pytest
import zxingcpp
from django.utils import translation
from lxml import etree
from pypdf import PdfReader
from stdnum import iso11649

from facturier.invoicing import actions, documents
from facturier.invoicing.payment_reference import payment_reference, references_in
from tests.invoicing.test_einvoice import assert_valid

pytestmark = pytest.mark.django_db

IBAN = "FR7630006000011234567890189"


@pytest.fixture
def paid_by_transfer(firm):
    firm.iban, firm.bic = IBAN, "AGRIFRPP"
    firm.save()
    return firm


def qr_codes(pdf: bytes) -> list[str]:
    """What a QR decoder reads on the PDF's pages, drawn as a screen shows them."""
    found = []
    document = pypdfium2.PdfDocument(pdf)
    for page in document:
        image = page.render(scale=3).to_pil()
        found += [code.text for code in zxingcpp.read_barcodes(image)]
    return found


def text_of(pdf: bytes) -> str:
    """The PDF's text, its lines joined as one paragraph reads."""
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return " ".join(text.split())


@pytest.mark.parametrize("number", ["0000001", "F-2026-0042", "fa/2026/7", "AV 12", "X" * 50, "-"])
def test_a_reference_is_valid_and_the_same_for_the_same_number(number):
    reference = payment_reference(number)
    assert iso11649.is_valid(reference)
    assert reference == payment_reference(number)
    assert len(reference) <= 25


def test_references_are_found_in_a_transfer_text_however_written():
    reference = payment_reference("F-2026-0042")
    spaced = iso11649.format(reference)  # "RF.. F202 6004 2"
    assert references_in(f"VIR SEPA {spaced.lower()} HONORAIRES") >= {reference}
    assert references_in(f"/RFB/{reference}/") >= {reference}
    assert references_in("FACTURE F-2026-0042") == set()


def test_each_invoice_has_its_own_reference_frozen_with_it(
    paid_by_transfer, make_draft, alice, template
):
    first = actions.finalize_invoice(make_draft(), by=alice)
    second = actions.finalize_invoice(make_draft(), by=alice)
    assert first.payment_reference != second.payment_reference
    for invoice in (first, second):
        invoice.refresh_from_db()
        assert iso11649.is_valid(invoice.payment_reference)
        assert invoice.payment_reference == payment_reference(invoice.number)
        assert invoice.snapshot["payment_reference"] == invoice.payment_reference


def test_the_pdf_qr_code_prefills_a_transfer_of_the_amount_due(
    paid_by_transfer, make_draft, alice, template
):
    invoice = actions.finalize_invoice(
        make_draft(lines=[{"description": "Bilan", "unit_price": "1234.50", "vat_rate": "20"}]),
        by=alice,
    )
    pdf = actions.pdf_for(invoice)
    # Still a Factur-X PDF/A-3b (Typst refuses to write one an image would break).
    assert facturx.get_xml_from_pdf(io.BytesIO(pdf), check_xsd=True)[0] == "factur-x.xml"
    [payload] = qr_codes(pdf)
    lines = payload.split("\n")
    # EPC069-12: service tag, version, charset, SCT, BIC, name, IBAN, amount, purpose, ref.
    assert lines[0] == "BCD" and lines[3] == "SCT"
    assert lines[4] == "AGRIFRPP"
    assert lines[5] == "Cabinet Test"
    assert lines[6] == IBAN
    assert lines[7] == "EUR1481.4"
    assert lines[9] == invoice.payment_reference
    text = text_of(pdf)
    assert "Payer par virement : scannez ce code dans votre application bancaire" in text
    assert iso11649.format(invoice.payment_reference) in text


def test_each_pdf_carries_its_own_code(paid_by_transfer, make_draft, alice, template):
    """The renderer's input file is rewritten for every invoice: no stale code."""
    amounts = ["100", "250"]
    payloads = []
    for amount in amounts:
        line = {"description": "Conseil", "unit_price": amount, "vat_rate": "0"}
        invoice = actions.finalize_invoice(make_draft(lines=[line]), by=alice)
        payloads.append(qr_codes(documents.render_snapshot(invoice.snapshot))[0])
    assert [p.split("\n")[7] for p in payloads] == ["EUR100", "EUR250"]


def test_the_label_is_in_the_documents_language(
    paid_by_transfer, make_client, make_draft, alice, template
):
    client = make_client(paid_by_transfer, "London Ltd", language="en", country="GB")
    client.owners.add(alice)
    invoice = actions.finalize_invoice(make_draft(client=client), by=alice)
    text = text_of(actions.pdf_for(invoice))
    assert "Pay by transfer: scan this code in your banking app" in text
    assert "Payment reference" in text


def test_no_code_without_an_iban(firm, make_draft, alice, template):
    invoice = actions.finalize_invoice(make_draft(), by=alice)
    pdf = actions.pdf_for(invoice)
    assert qr_codes(pdf) == []
    assert "scannez ce code" not in text_of(pdf)


def test_no_code_on_an_invoice_in_dollars(paid_by_transfer, make_draft, alice, template):
    invoice = actions.finalize_invoice(make_draft(currency="USD", exchange_rate="0.92"), by=alice)
    pdf = actions.pdf_for(invoice)
    assert qr_codes(pdf) == []
    assert "scannez ce code" not in text_of(pdf)


def test_a_credit_note_has_no_code_nor_reference(paid_by_transfer, make_draft, alice, template):
    invoice = actions.finalize_invoice(make_draft(), by=alice)
    credit = actions.finalize_invoice(actions.create_credit_note(invoice, by=alice), by=alice)
    assert credit.payment_reference == ""
    assert qr_codes(actions.pdf_for(credit)) == []


CII = {"ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}
UBL = {"cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"}


def test_the_e_invoice_gives_the_reference_as_remittance_information(
    paid_by_transfer, make_draft, alice, template
):
    invoice = actions.finalize_invoice(make_draft(), by=alice)
    cii_xml, ubl_xml = documents.build_cii(invoice.snapshot), documents.build_ubl(invoice.snapshot)
    assert_valid(cii_xml, ubl_xml)  # EN 16931 places BT-83 there
    cii, ubl = etree.fromstring(cii_xml), etree.fromstring(ubl_xml)
    assert cii.xpath("//ram:PaymentReference/text()", namespaces=CII) == [invoice.payment_reference]
    assert ubl.xpath("//cbc:PaymentID/text()", namespaces=UBL) == [invoice.payment_reference]


def test_the_invoice_page_shows_the_reference_to_quote(
    client, paid_by_transfer, make_draft, alice, template
):
    from django.urls import reverse

    invoice = actions.finalize_invoice(make_draft(), by=alice)
    client.force_login(alice)
    # The page's middleware switches this thread to French: switched back after it.
    with translation.override(translation.get_language()):
        page = client.get(
            reverse("billing:invoice", args=[invoice.pk]), HTTP_ACCEPT_LANGUAGE="fr"
        ).content.decode()
    assert "Référence de paiement" in page
    assert iso11649.format(invoice.payment_reference) in page


def test_the_api_gives_the_reference(api, paid_by_transfer, make_draft, alice, template):
    invoice = actions.finalize_invoice(make_draft(), by=alice)
    answer = api.get(f"/api/v1/invoices/{invoice.pk}/").json()
    assert answer["payment_reference"] == invoice.payment_reference
    assert api.get(f"/api/v1/invoices/{make_draft().pk}/").json()["payment_reference"] == ""


def test_the_template_preview_shows_the_code_where_it_will_be(paid_by_transfer, template):
    from PIL import Image

    snapshot = actions.templates.sample_snapshot(paid_by_transfer, template)
    image = Image.open(io.BytesIO(documents.render_preview_png(snapshot, ppi=200)))
    [code] = zxingcpp.read_barcodes(image)
    assert code.text.split("\n")[6] == IBAN
