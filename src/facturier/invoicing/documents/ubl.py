"""The same invoice as UBL 2.1, following Peppol BIS Billing 3.0."""

from decimal import Decimal
from typing import Any

from lxml import etree

from .cii import EXEMPTIONS, is_credit_note, terms_text, vat_category, vat_groups

CUSTOMIZATION = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
# The root, its type code and its lines: an Invoice, or a CreditNote (not a negative
# invoice), as UBL 2.1 and Peppol BIS Billing 3.0 have them.
DOCUMENTS = {
    False: (
        "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
        "Invoice",
        "InvoiceTypeCode",
        "380",
        "InvoiceLine",
        "InvoicedQuantity",
    ),
    True: (
        "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
        "CreditNote",
        "CreditNoteTypeCode",
        "381",
        "CreditNoteLine",
        "CreditedQuantity",
    ),
}


def _amount(value) -> str:
    return f"{Decimal(value).quantize(Decimal('0.01'))}"


def _sub(parent, tag: str, text: str | None = None, **attrs):
    prefix, name = tag.split(":")
    element = etree.SubElement(parent, f"{{{NS[prefix]}}}{name}", **attrs)
    if text is not None:
        element.text = text
    return element


def _tax_category(parent, tag: str, category: str, rate, *, with_reason: bool) -> None:
    node = _sub(parent, tag)
    _sub(node, "cbc:ID", category)
    _sub(node, "cbc:Percent", _amount(rate))
    if with_reason and category in EXEMPTIONS:
        code, reason = EXEMPTIONS[category]
        if code:
            _sub(node, "cbc:TaxExemptionReasonCode", code)
        _sub(node, "cbc:TaxExemptionReason", reason)
    _sub(_sub(node, "cac:TaxScheme"), "cbc:ID", "VAT")


def _party(parent, tag: str, party: dict, legal_id: str, vat: str) -> None:
    node = _sub(_sub(parent, tag), "cac:Party")
    _sub(_sub(node, "cac:PartyName"), "cbc:Name", party["name"])
    address = _sub(node, "cac:PostalAddress")
    if party.get("address_line1"):
        _sub(address, "cbc:StreetName", party["address_line1"])
    if party.get("address_line2"):
        _sub(address, "cbc:AdditionalStreetName", party["address_line2"])
    if party.get("city"):
        _sub(address, "cbc:CityName", party["city"])
    if party.get("postal_code"):
        _sub(address, "cbc:PostalZone", party["postal_code"])
    _sub(
        _sub(address, "cac:Country"),
        "cbc:IdentificationCode",
        (party.get("country") or "FR").upper(),
    )
    if vat:
        scheme = _sub(node, "cac:PartyTaxScheme")
        _sub(scheme, "cbc:CompanyID", vat)
        _sub(_sub(scheme, "cac:TaxScheme"), "cbc:ID", "VAT")
    legal = _sub(node, "cac:PartyLegalEntity")
    _sub(legal, "cbc:RegistrationName", party["name"])
    if legal_id:
        scheme = {"schemeID": "0002"} if len(legal_id) == 9 and legal_id.isdigit() else {}
        _sub(legal, "cbc:CompanyID", legal_id, **scheme)


def build_ubl(snapshot: dict[str, Any]) -> bytes:
    seller, buyer = snapshot["seller"], snapshot["buyer"]
    currency = snapshot["currency"]
    credit = is_credit_note(snapshot)
    namespace, root_name, type_tag, type_code, line_tag, quantity_tag = DOCUMENTS[credit]
    root = etree.Element(f"{{{namespace}}}{root_name}", nsmap={None: namespace, **NS})
    _sub(root, "cbc:CustomizationID", CUSTOMIZATION)
    _sub(root, "cbc:ProfileID", PROFILE)
    _sub(root, "cbc:ID", snapshot["number"])
    _sub(root, "cbc:IssueDate", snapshot["issue_date"])
    if snapshot.get("due_date") and not credit:  # a CreditNote has no due date
        _sub(root, "cbc:DueDate", snapshot["due_date"])
    _sub(root, f"cbc:{type_tag}", type_code)
    if snapshot.get("notes"):
        _sub(root, "cbc:Note", snapshot["notes"])
    _sub(root, "cbc:DocumentCurrencyCode", currency)
    _sub(root, "cbc:BuyerReference", snapshot["number"])  # Peppol wants one; no order here
    if snapshot.get("corrects"):  # BT-25, BT-26: the invoice a credit note corrects
        reference = _sub(_sub(root, "cac:BillingReference"), "cac:InvoiceDocumentReference")
        _sub(reference, "cbc:ID", snapshot["corrects"]["number"])
        _sub(reference, "cbc:IssueDate", snapshot["corrects"]["issue_date"])
    _party(
        root,
        "cac:AccountingSupplierParty",
        seller,
        seller.get("siren", ""),
        seller.get("vat_number", ""),
    )
    _party(
        root,
        "cac:AccountingCustomerParty",
        buyer,
        buyer.get("company_id", ""),
        buyer.get("vat_number", ""),
    )
    if seller.get("iban") and not credit:
        means = _sub(root, "cac:PaymentMeans")
        _sub(means, "cbc:PaymentMeansCode", "58")
        _sub(_sub(means, "cac:PayeeFinancialAccount"), "cbc:ID", seller["iban"].replace(" ", ""))
    if text := terms_text(snapshot):
        _sub(_sub(root, "cac:PaymentTerms"), "cbc:Note", text)
    totals = snapshot["totals"]
    tax_total = _sub(root, "cac:TaxTotal")
    _sub(tax_total, "cbc:TaxAmount", _amount(totals["vat"]), currencyID=currency)
    for category, rate, base, vat in vat_groups(snapshot):
        subtotal = _sub(tax_total, "cac:TaxSubtotal")
        _sub(subtotal, "cbc:TaxableAmount", _amount(base), currencyID=currency)
        _sub(subtotal, "cbc:TaxAmount", _amount(vat), currencyID=currency)
        _tax_category(subtotal, "cac:TaxCategory", category, rate, with_reason=True)
    monetary = _sub(root, "cac:LegalMonetaryTotal")
    _sub(monetary, "cbc:LineExtensionAmount", _amount(totals["net"]), currencyID=currency)
    _sub(monetary, "cbc:TaxExclusiveAmount", _amount(totals["net"]), currencyID=currency)
    _sub(monetary, "cbc:TaxInclusiveAmount", _amount(totals["gross"]), currencyID=currency)
    _sub(monetary, "cbc:PayableAmount", _amount(totals["gross"]), currencyID=currency)
    for index, line in enumerate(snapshot["lines"], start=1):
        item_line = _sub(root, f"cac:{line_tag}")
        _sub(item_line, "cbc:ID", str(index))
        _sub(
            item_line,
            f"cbc:{quantity_tag}",
            format(Decimal(line["quantity"]).normalize() + 0, "f"),
            unitCode="C62",
        )
        _sub(item_line, "cbc:LineExtensionAmount", _amount(line["net"]), currencyID=currency)
        item = _sub(item_line, "cac:Item")
        _sub(item, "cbc:Name", line["description"][:500])
        _tax_category(
            item,
            "cac:ClassifiedTaxCategory",
            vat_category(line["vat_rate"], seller, buyer),
            line["vat_rate"],
            with_reason=False,
        )
        discount = Decimal(line.get("discount_percent") or 0)
        price = (Decimal(line["unit_price"]) * (1 - discount / 100)).quantize(Decimal("0.0001"))
        _sub(
            _sub(item_line, "cac:Price"),
            "cbc:PriceAmount",
            format(price.normalize() + 0, "f"),
            currencyID=currency,
        )
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
