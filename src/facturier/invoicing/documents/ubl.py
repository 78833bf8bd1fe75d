"""The same invoice as UBL 2.1, for the French CTC rules (BR-FR Flux 2) and Peppol BIS
Billing 3.0.

What it says is decided in en16931.py; this module writes it in UBL. Two Peppol
rules cannot hold together with the French ones, and the French ones win, since
they decide whether the invoice is accepted in France: the billing framework (BT-23)
is the ProfileID (BR-FR-08, where Peppol wants its own process URN, R007), and the
three legal mentions are three notes, each with its subject code (BR-FR-05, where
Peppol allows one note, R002).
"""

from decimal import Decimal
from typing import Any

from lxml import etree

from . import en16931 as e
from .en16931 import amount, decimal_text, is_credit_note
from .xml import subelement_maker

CUSTOMIZATION = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
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
# BT-8 in UBL (UNTDID 2005): 3 = the invoice's date, for a firm paying VAT on debits.
TAX_POINT_ON_DEBITS = "3"


_sub = subelement_maker(NS)


def _tax_category(parent, tag: str, category: str, rate, reason=None, code=None) -> None:
    node = _sub(parent, tag)
    _sub(node, "cbc:ID", category)
    _sub(node, "cbc:Percent", amount(rate))
    if code:
        _sub(node, "cbc:TaxExemptionReasonCode", code)
    if reason:
        _sub(node, "cbc:TaxExemptionReason", reason)
    _sub(_sub(node, "cac:TaxScheme"), "cbc:ID", "VAT")


def _address(parent, tag: str, party: dict) -> None:
    address = _sub(parent, tag)
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


def _party(
    parent,
    tag: str,
    party: dict,
    *,
    legal_id: tuple[str, str | None],
    vat: str,
    endpoint: tuple[str, str] | None,
    legal_info: str = "",
    tax_registration: str = "",
) -> None:
    node = _sub(_sub(parent, tag), "cac:Party")
    if endpoint:
        _sub(node, "cbc:EndpointID", endpoint[1], schemeID=endpoint[0])
    _sub(_sub(node, "cac:PartyName"), "cbc:Name", party["name"])
    _address(node, "cac:PostalAddress", party)
    if vat:
        scheme = _sub(node, "cac:PartyTaxScheme")
        _sub(scheme, "cbc:CompanyID", vat)
        _sub(_sub(scheme, "cac:TaxScheme"), "cbc:ID", "VAT")
    if tax_registration:  # BT-32: a tax scheme other than VAT
        scheme = _sub(node, "cac:PartyTaxScheme")
        _sub(scheme, "cbc:CompanyID", tax_registration)
        _sub(_sub(scheme, "cac:TaxScheme"), "cbc:ID", "FC")
    legal = _sub(node, "cac:PartyLegalEntity")
    _sub(legal, "cbc:RegistrationName", party["name"])
    identifier, id_scheme = legal_id
    if identifier:
        _sub(legal, "cbc:CompanyID", identifier, **({"schemeID": id_scheme} if id_scheme else {}))
    if legal_info:
        _sub(legal, "cbc:CompanyLegalForm", legal_info)


def _allowance(parent, currency: str, *, percent, base, value, reason: str) -> etree._Element:
    node = _sub(parent, "cac:AllowanceCharge")
    _sub(node, "cbc:ChargeIndicator", "false")
    _sub(node, "cbc:AllowanceChargeReasonCode", "95")  # UNCL 5189: discount
    _sub(node, "cbc:AllowanceChargeReason", reason)
    _sub(node, "cbc:MultiplierFactorNumeric", decimal_text(percent))
    _sub(node, "cbc:Amount", amount(value), currencyID=currency)
    _sub(node, "cbc:BaseAmount", amount(base), currencyID=currency)
    return node


def _line(root, line: e.Line, currency: str, line_tag: str, quantity_tag: str) -> None:
    item_line = _sub(root, f"cac:{line_tag}")
    _sub(item_line, "cbc:ID", line.id)
    _sub(item_line, f"cbc:{quantity_tag}", decimal_text(line.quantity), unitCode="C62")
    _sub(item_line, "cbc:LineExtensionAmount", amount(line.net), currencyID=currency)
    if line.allowance:
        _allowance(
            item_line,
            currency,
            percent=line.discount_percent,
            base=line.gross,
            value=line.allowance,
            reason="Remise",
        )
    item = _sub(item_line, "cac:Item")
    if line.description:
        _sub(item, "cbc:Description", line.description)
    _sub(item, "cbc:Name", line.name)
    _tax_category(item, "cac:ClassifiedTaxCategory", line.category, line.rate)
    _sub(
        _sub(item_line, "cac:Price"),
        "cbc:PriceAmount",
        decimal_text(line.price),
        currencyID=currency,
    )


def build_ubl(snapshot: dict[str, Any]) -> bytes:
    currency = snapshot["currency"]
    credit = is_credit_note(snapshot)
    namespace, root_name, type_tag, _code, line_tag, quantity_tag = DOCUMENTS[credit]
    root = etree.Element(f"{{{namespace}}}{root_name}", nsmap={None: namespace, **NS})
    _sub(root, "cbc:CustomizationID", CUSTOMIZATION)
    _sub(root, "cbc:ProfileID", e.framework_code(snapshot))
    _sub(root, "cbc:ID", snapshot["number"])
    _sub(root, "cbc:IssueDate", snapshot["issue_date"])
    if snapshot.get("due_date") and not credit:  # a CreditNote has no due date
        _sub(root, "cbc:DueDate", snapshot["due_date"])
    _sub(root, f"cbc:{type_tag}", e.type_code(snapshot))
    for subject, text in e.notes(snapshot):
        _sub(root, "cbc:Note", f"#{subject}#{text}" if subject else text)
    _sub(root, "cbc:DocumentCurrencyCode", currency)
    vat_eur = e.vat_in_eur(snapshot)
    if vat_eur is not None:
        _sub(root, "cbc:TaxCurrencyCode", "EUR")
    # Peppol asks for a buyer reference or an order (R003): the order when there is one.
    _sub(root, "cbc:BuyerReference", snapshot.get("purchase_order") or snapshot["number"])
    supply_date, period = e.supply(snapshot)
    _references(root, snapshot, period)
    _parties(root, snapshot)
    _delivery(root, snapshot, supply_date)
    _payment(root, snapshot, credit=credit)
    groups = e.vat_groups(snapshot)
    _header_allowances(root, snapshot, groups)
    _tax_totals(root, snapshot, groups, vat_eur)
    _monetary_total(root, snapshot)
    for line in e.lines(snapshot):
        _line(root, line, currency, line_tag, quantity_tag)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _references(root, snapshot: dict[str, Any], period) -> None:
    """The invoicing period, the buyer's order, the invoice a credit note corrects."""
    seller = snapshot["seller"]
    if period or seller.get("vat_on_debits"):  # BG-14, and BT-8 which UBL puts there
        invoice_period = _sub(root, "cac:InvoicePeriod")
        if period:
            _sub(invoice_period, "cbc:StartDate", period[0])
            _sub(invoice_period, "cbc:EndDate", period[1])
        if seller.get("vat_on_debits"):
            _sub(invoice_period, "cbc:DescriptionCode", TAX_POINT_ON_DEBITS)
    if snapshot.get("purchase_order"):
        _sub(_sub(root, "cac:OrderReference"), "cbc:ID", snapshot["purchase_order"])
    # BT-25, BT-26: the invoice a credit note corrects, or the deposit invoices deducted.
    for preceding in e.preceding_invoices(snapshot):
        reference = _sub(_sub(root, "cac:BillingReference"), "cac:InvoiceDocumentReference")
        _sub(reference, "cbc:ID", preceding["number"])
        _sub(reference, "cbc:IssueDate", preceding["issue_date"])


def _parties(root, snapshot: dict[str, Any]) -> None:
    seller, buyer = snapshot["seller"], snapshot["buyer"]
    siren = e.seller_siren(seller)
    _party(
        root,
        "cac:AccountingSupplierParty",
        seller,
        legal_id=(siren or seller.get("siren", ""), e.LEGAL_ID_SCHEME if siren else None),
        vat=seller.get("vat_number", ""),
        endpoint=e.electronic_address(seller, siren=siren),
        legal_info=e.seller_legal_info(seller),
        tax_registration=e.seller_tax_registration(seller),
    )
    _party(
        root,
        "cac:AccountingCustomerParty",
        buyer,
        legal_id=e.buyer_legal_id(buyer),
        vat=buyer.get("vat_number", ""),
        endpoint=e.electronic_address(buyer),
    )


def _delivery(root, snapshot: dict[str, Any], supply_date) -> None:
    deliver_to = e.delivery(snapshot)
    if supply_date or deliver_to:
        delivery = _sub(root, "cac:Delivery")
        if supply_date:
            _sub(delivery, "cbc:ActualDeliveryDate", supply_date)
        if deliver_to:
            location = _sub(delivery, "cac:DeliveryLocation")
            _address(location, "cac:Address", deliver_to)


def _payment(root, snapshot: dict[str, Any], *, credit: bool) -> None:
    """The means (a transfer to the seller's IBAN) and the terms."""
    seller = snapshot["seller"]
    if seller.get("iban") and not credit:
        means = _sub(root, "cac:PaymentMeans")
        _sub(means, "cbc:PaymentMeansCode", "58")
        if snapshot.get("payment_reference"):  # BT-83, the remittance information
            _sub(means, "cbc:PaymentID", snapshot["payment_reference"])
        _sub(_sub(means, "cac:PayeeFinancialAccount"), "cbc:ID", seller["iban"].replace(" ", ""))
    if text := e.terms_text(snapshot):
        _sub(_sub(root, "cac:PaymentTerms"), "cbc:Note", text)


def _header_allowances(root, snapshot: dict[str, Any], groups) -> None:
    """The invoice discount, one allowance per VAT rate it reduces."""
    discount = Decimal(snapshot.get("discount_percent") or 0)
    for group in groups:
        if group.allowance:
            node = _allowance(
                root,
                snapshot["currency"],
                percent=discount,
                base=group.lines_sum,
                value=group.allowance,
                reason="Remise sur la facture",
            )
            _tax_category(node, "cac:TaxCategory", group.category, group.rate)


def _tax_totals(root, snapshot: dict[str, Any], groups, vat_eur) -> None:
    """The VAT total and each rate's subtotal; BT-111, the VAT in euros, when invoiced
    in another currency."""
    currency = snapshot["currency"]
    tax_total = _sub(root, "cac:TaxTotal")
    _sub(tax_total, "cbc:TaxAmount", amount(snapshot["totals"]["vat"]), currencyID=currency)
    for group in groups:
        subtotal = _sub(tax_total, "cac:TaxSubtotal")
        _sub(subtotal, "cbc:TaxableAmount", amount(group.base), currencyID=currency)
        _sub(subtotal, "cbc:TaxAmount", amount(group.vat), currencyID=currency)
        _tax_category(
            subtotal,
            "cac:TaxCategory",
            group.category,
            group.rate,
            reason=group.reason,
            code=group.reason_code,
        )
    if vat_eur is not None:
        _sub(_sub(root, "cac:TaxTotal"), "cbc:TaxAmount", amount(vat_eur), currencyID="EUR")


def _monetary_total(root, snapshot: dict[str, Any]) -> None:
    currency = snapshot["currency"]
    totals = snapshot["totals"]
    allowance = Decimal(totals.get("allowance") or 0)
    monetary = _sub(root, "cac:LegalMonetaryTotal")
    lines_net = Decimal(totals["net"]) + allowance
    _sub(monetary, "cbc:LineExtensionAmount", amount(lines_net), currencyID=currency)
    _sub(monetary, "cbc:TaxExclusiveAmount", amount(totals["net"]), currencyID=currency)
    _sub(monetary, "cbc:TaxInclusiveAmount", amount(totals["gross"]), currencyID=currency)
    if allowance:
        _sub(monetary, "cbc:AllowanceTotalAmount", amount(allowance), currencyID=currency)
    if e.prepaid(snapshot):
        _sub(monetary, "cbc:PrepaidAmount", amount(e.prepaid(snapshot)), currencyID=currency)
    _sub(monetary, "cbc:PayableAmount", amount(e.amount_due(snapshot)), currencyID=currency)
