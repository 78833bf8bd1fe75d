"""The CII XML (UN/CEFACT D16B, Factur-X EN 16931 profile) of a finalized invoice.

What it says is decided in en16931.py (categories, notes, addresses, discounts);
this module writes it in the CII syntax, in the order the XSD asks. No library
writes EN 16931 CII from our data: the factur-x package checks and embeds the XML,
it does not build it.
"""

from decimal import Decimal
from typing import Any

from lxml import etree

from . import en16931 as e
from .en16931 import amount, decimal_text, is_credit_note
from .xml import subelement_maker

FACTURX_FILENAME = "factur-x.xml"
GUIDELINE = "urn:cen.eu:en16931:2017"
NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
}
# UNTDID 1001: what the document is.
# BT-8 in CII (UNTDID 2475): 5 = the invoice's date, for a firm paying VAT on debits.
TAX_POINT_ON_DEBITS = "5"


_sub = subelement_maker(NS)


def _date(parent, tag: str, iso: str) -> None:
    holder = _sub(parent, tag)
    _sub(holder, "udt:DateTimeString", iso.replace("-", ""), format="102")


def _address(node, party: dict) -> None:
    address = _sub(node, "ram:PostalTradeAddress")
    if party.get("postal_code"):
        _sub(address, "ram:PostcodeCode", party["postal_code"])
    if party.get("address_line1"):
        _sub(address, "ram:LineOne", party["address_line1"])
    if party.get("address_line2"):
        _sub(address, "ram:LineTwo", party["address_line2"])
    if party.get("city"):
        _sub(address, "ram:CityName", party["city"])
    _sub(address, "ram:CountryID", (party.get("country") or "FR").upper())


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
    node = _sub(parent, tag)
    _sub(node, "ram:Name", party["name"])
    if legal_info:
        _sub(node, "ram:Description", legal_info)
    identifier, scheme = legal_id
    if identifier:
        organization = _sub(node, "ram:SpecifiedLegalOrganization")
        _sub(organization, "ram:ID", identifier, **({"schemeID": scheme} if scheme else {}))
    _address(node, party)
    if endpoint:
        communication = _sub(node, "ram:URIUniversalCommunication")
        _sub(communication, "ram:URIID", endpoint[1], schemeID=endpoint[0])
    if vat:
        registration = _sub(node, "ram:SpecifiedTaxRegistration")
        _sub(registration, "ram:ID", vat, schemeID="VA")
    if tax_registration:  # BT-32
        registration = _sub(node, "ram:SpecifiedTaxRegistration")
        _sub(registration, "ram:ID", tax_registration, schemeID="FC")


def _allowance(parent, *, percent, base, value, reason: str, category=None, rate=None) -> None:
    node = _sub(parent, "ram:SpecifiedTradeAllowanceCharge")
    _sub(_sub(node, "ram:ChargeIndicator"), "udt:Indicator", "false")
    _sub(node, "ram:CalculationPercent", decimal_text(percent))
    _sub(node, "ram:BasisAmount", amount(base))
    _sub(node, "ram:ActualAmount", amount(value))
    _sub(node, "ram:ReasonCode", "95")  # UNCL 5189: discount
    _sub(node, "ram:Reason", reason)
    if category is not None:
        tax = _sub(node, "ram:CategoryTradeTax")
        _sub(tax, "ram:TypeCode", "VAT")
        _sub(tax, "ram:CategoryCode", category)
        _sub(tax, "ram:RateApplicablePercent", amount(rate))


def _line(transaction, line: e.Line) -> None:
    item = _sub(transaction, "ram:IncludedSupplyChainTradeLineItem")
    _sub(_sub(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", line.id)
    product = _sub(item, "ram:SpecifiedTradeProduct")
    _sub(product, "ram:Name", line.name)
    if line.description:
        _sub(product, "ram:Description", line.description)
    agreement = _sub(item, "ram:SpecifiedLineTradeAgreement")
    _sub(
        _sub(agreement, "ram:NetPriceProductTradePrice"),
        "ram:ChargeAmount",
        decimal_text(line.price),
    )
    delivery = _sub(item, "ram:SpecifiedLineTradeDelivery")
    _sub(delivery, "ram:BilledQuantity", decimal_text(line.quantity), unitCode="C62")
    settlement = _sub(item, "ram:SpecifiedLineTradeSettlement")
    tax = _sub(settlement, "ram:ApplicableTradeTax")
    _sub(tax, "ram:TypeCode", "VAT")
    _sub(tax, "ram:CategoryCode", line.category)
    _sub(tax, "ram:RateApplicablePercent", amount(line.rate))
    if line.allowance:
        _allowance(
            settlement,
            percent=line.discount_percent,
            base=line.gross,
            value=line.allowance,
            reason="Remise",
        )
    summation = _sub(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
    _sub(summation, "ram:LineTotalAmount", amount(line.net))


def build_cii(snapshot: dict[str, Any]) -> bytes:
    root = etree.Element(f"{{{NS['rsm']}}}CrossIndustryInvoice", nsmap=NS)
    _document_context(root, snapshot)
    _document(root, snapshot)
    transaction = _sub(root, "rsm:SupplyChainTradeTransaction")
    for line in e.lines(snapshot):
        _line(transaction, line)
    _agreement(transaction, snapshot)
    supply_date, period = e.supply(snapshot)
    _delivery(transaction, snapshot, supply_date)
    _settlement(transaction, snapshot, period)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _document_context(root, snapshot: dict[str, Any]) -> None:
    """The business process and the profile (guideline) the invoice follows."""
    context = _sub(root, "rsm:ExchangedDocumentContext")
    _sub(
        _sub(context, "ram:BusinessProcessSpecifiedDocumentContextParameter"),
        "ram:ID",
        e.framework_code(snapshot),
    )
    _sub(_sub(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", GUIDELINE)


def _document(root, snapshot: dict[str, Any]) -> None:
    """Number, type, issue date and notes."""
    document = _sub(root, "rsm:ExchangedDocument")
    _sub(document, "ram:ID", snapshot["number"])
    _sub(document, "ram:TypeCode", e.type_code(snapshot))
    _date(document, "ram:IssueDateTime", snapshot["issue_date"])
    for subject, text in e.notes(snapshot):
        note = _sub(document, "ram:IncludedNote")
        _sub(note, "ram:Content", text)
        if subject:
            _sub(note, "ram:SubjectCode", subject)


def _agreement(transaction, snapshot: dict[str, Any]) -> None:
    """The seller, the buyer and the buyer's order."""
    seller, buyer = snapshot["seller"], snapshot["buyer"]
    agreement = _sub(transaction, "ram:ApplicableHeaderTradeAgreement")
    siren = e.seller_siren(seller)
    _party(
        agreement,
        "ram:SellerTradeParty",
        seller,
        legal_id=(siren or seller.get("siren", ""), e.LEGAL_ID_SCHEME if siren else None),
        vat=seller.get("vat_number", ""),
        endpoint=e.electronic_address(seller, siren=siren),
        legal_info=e.seller_legal_info(seller),
        tax_registration=e.seller_tax_registration(seller),
    )
    _party(
        agreement,
        "ram:BuyerTradeParty",
        buyer,
        legal_id=e.buyer_legal_id(buyer),
        vat=buyer.get("vat_number", ""),
        endpoint=e.electronic_address(buyer),
    )
    if snapshot.get("purchase_order"):
        order = _sub(agreement, "ram:BuyerOrderReferencedDocument")
        _sub(order, "ram:IssuerAssignedID", snapshot["purchase_order"])


def _delivery(transaction, snapshot: dict[str, Any], supply_date) -> None:
    """Where the goods or services went, and when."""
    delivery = _sub(transaction, "ram:ApplicableHeaderTradeDelivery")
    if deliver_to := e.delivery(snapshot):
        ship_to = _sub(delivery, "ram:ShipToTradeParty")
        _sub(ship_to, "ram:Name", snapshot["buyer"]["name"])
        _address(ship_to, deliver_to)
    if supply_date:
        event = _sub(delivery, "ram:ActualDeliverySupplyChainEvent")
        _date(event, "ram:OccurrenceDateTime", supply_date)


def _settlement(transaction, snapshot: dict[str, Any], period) -> None:
    """Currencies, payment means, VAT, period, discounts, terms, totals and the invoice
    a credit note corrects, in the order the schema asks."""
    seller = snapshot["seller"]
    credit = is_credit_note(snapshot)
    settlement = _sub(transaction, "ram:ApplicableHeaderTradeSettlement")
    # BT-83, the remittance information: the reference a transfer to the IBAN quotes.
    if seller.get("iban") and snapshot.get("payment_reference") and not credit:
        _sub(settlement, "ram:PaymentReference", snapshot["payment_reference"])
    vat_eur = e.vat_in_eur(snapshot)
    if vat_eur is not None:
        _sub(settlement, "ram:TaxCurrencyCode", "EUR")
    _sub(settlement, "ram:InvoiceCurrencyCode", snapshot["currency"])
    if seller.get("iban") and not credit:
        means = _sub(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
        _sub(means, "ram:TypeCode", "58")
        _sub(
            _sub(means, "ram:PayeePartyCreditorFinancialAccount"),
            "ram:IBANID",
            seller["iban"].replace(" ", ""),
        )
    groups = e.vat_groups(snapshot)
    for group in groups:
        _trade_tax(settlement, group, on_debits=bool(seller.get("vat_on_debits")))
    if period:
        billing = _sub(settlement, "ram:BillingSpecifiedPeriod")
        _date(billing, "ram:StartDateTime", period[0])
        _date(billing, "ram:EndDateTime", period[1])
    discount = Decimal(snapshot.get("discount_percent") or 0)
    for group in groups:
        if group.allowance:
            _allowance(
                settlement,
                percent=discount,
                base=group.lines_sum,
                value=group.allowance,
                reason="Remise sur la facture",
                category=group.category,
                rate=group.rate,
            )
    terms = _sub(settlement, "ram:SpecifiedTradePaymentTerms")
    if text := e.terms_text(snapshot):
        _sub(terms, "ram:Description", text)
    if snapshot.get("due_date") and not credit:
        _date(terms, "ram:DueDateDateTime", snapshot["due_date"])
    _summation(settlement, snapshot, vat_eur)
    for preceding in e.preceding_invoices(snapshot):
        _corrected_invoice(settlement, preceding)


def _trade_tax(settlement, group, *, on_debits: bool) -> None:
    """One VAT rate's breakdown."""
    tax = _sub(settlement, "ram:ApplicableTradeTax")
    _sub(tax, "ram:CalculatedAmount", amount(group.vat))
    _sub(tax, "ram:TypeCode", "VAT")
    if group.reason:
        _sub(tax, "ram:ExemptionReason", group.reason)
    _sub(tax, "ram:BasisAmount", amount(group.base))
    _sub(tax, "ram:CategoryCode", group.category)
    if group.reason_code:
        _sub(tax, "ram:ExemptionReasonCode", group.reason_code)
    if group.category == "S" and on_debits:
        _sub(tax, "ram:DueDateTypeCode", TAX_POINT_ON_DEBITS)
    _sub(tax, "ram:RateApplicablePercent", amount(group.rate))


def _summation(settlement, snapshot: dict[str, Any], vat_eur) -> None:
    """The document's totals (the VAT total in euros too when invoiced in another
    currency)."""
    currency = snapshot["currency"]
    totals = snapshot["totals"]
    allowance = Decimal(totals.get("allowance") or 0)
    summation = _sub(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _sub(summation, "ram:LineTotalAmount", amount(Decimal(totals["net"]) + allowance))
    if allowance:
        _sub(summation, "ram:AllowanceTotalAmount", amount(allowance))
    _sub(summation, "ram:TaxBasisTotalAmount", amount(totals["net"]))
    _sub(summation, "ram:TaxTotalAmount", amount(totals["vat"]), currencyID=currency)
    if vat_eur is not None:
        _sub(summation, "ram:TaxTotalAmount", amount(vat_eur), currencyID="EUR")
    _sub(summation, "ram:GrandTotalAmount", amount(totals["gross"]))
    if e.prepaid(snapshot):
        _sub(summation, "ram:TotalPrepaidAmount", amount(e.prepaid(snapshot)))
    _sub(summation, "ram:DuePayableAmount", amount(e.amount_due(snapshot)))


def _corrected_invoice(settlement, corrects: dict[str, Any]) -> None:
    """BT-25, BT-26: the invoice a credit note corrects, or a deposit invoice deducted."""
    referenced = _sub(settlement, "ram:InvoiceReferencedDocument")
    _sub(referenced, "ram:IssuerAssignedID", corrects["number"])
    issued = _sub(referenced, "ram:FormattedIssueDateTime")
    _sub(
        issued,
        "qdt:DateTimeString",
        corrects["issue_date"].replace("-", ""),
        format="102",
    )
