"""The CII XML (UN/CEFACT D16B, Factur-X EN 16931 profile) of a finalized invoice.

VAT categories are derived from the rate and the parties, as a French firm
invoicing services would: a rate above 0 is S (standard); 0 % to a business in
another EU country with a VAT number is AE (reverse charge); 0 % to a buyer
outside the EU is G (export); any other 0 % is E (exempt) with the reason given.
"""

from decimal import Decimal
from typing import Any

from lxml import etree

FACTURX_FILENAME = "factur-x.xml"
GUIDELINE = "urn:cen.eu:en16931:2017"
NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
}
EU = {
    "AT",
    "BE",
    "BG",
    "CY",
    "CZ",
    "DE",
    "DK",
    "EE",
    "ES",
    "FI",
    "FR",
    "GR",
    "HR",
    "HU",
    "IE",
    "IT",
    "LT",
    "LU",
    "LV",
    "MT",
    "NL",
    "PL",
    "PT",
    "RO",
    "SE",
    "SI",
    "SK",
}
EXEMPTIONS = {
    "AE": ("VATEX-EU-AE", "Autoliquidation"),
    "G": ("VATEX-EU-G", "Exportation hors UE, art. 262 I du CGI"),
    "E": (None, "TVA non applicable, art. 293 B du CGI"),
}


def vat_category(rate: Decimal | str, seller: dict, buyer: dict) -> str:
    if Decimal(rate) > 0:
        return "S"
    seller_country = (seller.get("country") or "FR").upper()
    buyer_country = (buyer.get("country") or "FR").upper()
    if buyer_country != seller_country and buyer_country in EU and buyer.get("vat_number"):
        return "AE"
    if buyer_country not in EU:
        return "G"
    return "E"


def vat_groups(snapshot: dict[str, Any]) -> list[tuple[str, Decimal, Decimal, Decimal]]:
    """The VAT breakdown (BG-23) as (category, rate, base, VAT), from the rounded line nets."""
    seller, buyer = snapshot["seller"], snapshot["buyer"]
    bases: dict[tuple[str, Decimal], Decimal] = {}
    for line in snapshot["lines"]:
        key = (vat_category(line["vat_rate"], seller, buyer), Decimal(line["vat_rate"]))
        bases[key] = bases.get(key, Decimal(0)) + Decimal(line["net"])
    vat_by_rate = {
        Decimal(row["rate"]): Decimal(row["vat"]) for row in snapshot["totals"]["vat_breakdown"]
    }
    return [
        (category, rate, base, vat_by_rate.get(rate, Decimal(0)) if category == "S" else Decimal(0))
        for (category, rate), base in sorted(bases.items(), key=lambda kv: (-kv[0][1], kv[0][0]))
    ]


def missing_for_en16931(snapshot: dict[str, Any]) -> list[str]:
    """What EN 16931 requires that the invoice lacks, in words (empty: nothing)."""
    seller, buyer = snapshot["seller"], snapshot["buyer"]
    missing = []
    if not seller.get("country") or not buyer.get("country"):
        missing.append("country")
    categories = {vat_category(line["vat_rate"], seller, buyer) for line in snapshot["lines"]}
    if categories & {"S", "AE", "G", "E"} and not seller.get("vat_number"):
        missing.append("seller_vat_number")
    if "AE" in categories and not buyer.get("vat_number"):
        missing.append("buyer_vat_number")
    if not seller.get("siren") and not seller.get("vat_number"):
        missing.append("seller_id")
    return missing


def _amount(value) -> str:
    return f"{Decimal(value).quantize(Decimal('0.01'))}"


def _quantity(value) -> str:
    return format(Decimal(value).normalize() + 0, "f")


def _sub(parent, tag: str, text: str | None = None, **attrs) -> etree._Element:
    prefix, name = tag.split(":")
    element = etree.SubElement(parent, f"{{{NS[prefix]}}}{name}", **attrs)
    if text is not None:
        element.text = text
    return element


def _date(parent, tag: str, iso: str) -> None:
    holder = _sub(parent, tag)
    _sub(holder, "udt:DateTimeString", iso.replace("-", ""), format="102")


def _party(parent, tag: str, party: dict, legal_id: str, vat: str) -> None:
    node = _sub(parent, tag)
    _sub(node, "ram:Name", party["name"])
    if legal_id:
        organization = _sub(node, "ram:SpecifiedLegalOrganization")
        scheme = {"schemeID": "0002"} if len(legal_id) == 9 and legal_id.isdigit() else {}
        _sub(organization, "ram:ID", legal_id, **scheme)
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
    if vat:
        registration = _sub(node, "ram:SpecifiedTaxRegistration")
        _sub(registration, "ram:ID", vat, schemeID="VA")


# UNTDID 1001: what the document is.
TYPE_CODES = {"invoice": "380", "credit_note": "381"}


def is_credit_note(snapshot: dict[str, Any]) -> bool:
    return snapshot.get("kind") == "credit_note"


def terms_text(snapshot: dict[str, Any]) -> str | None:
    """The payment terms (BT-20), in the French the e-invoice is written in."""
    if is_credit_note(snapshot) and snapshot.get("corrects"):
        return f"Avoir sur la facture {snapshot['corrects']['number']}, imputé sur son solde"
    if snapshot.get("payment_terms_days") is not None:
        return f"Paiement à {snapshot['payment_terms_days']} jours"
    return None


def build_cii(snapshot: dict[str, Any]) -> bytes:
    seller, buyer = snapshot["seller"], snapshot["buyer"]
    currency = snapshot["currency"]
    root = etree.Element(f"{{{NS['rsm']}}}CrossIndustryInvoice", nsmap=NS)
    context = _sub(root, "rsm:ExchangedDocumentContext")
    _sub(_sub(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", GUIDELINE)

    document = _sub(root, "rsm:ExchangedDocument")
    _sub(document, "ram:ID", snapshot["number"])
    _sub(document, "ram:TypeCode", TYPE_CODES[snapshot.get("kind") or "invoice"])
    _date(document, "ram:IssueDateTime", snapshot["issue_date"])
    notes = []
    if snapshot.get("notes"):
        notes.append((None, snapshot["notes"]))
    if seller.get("late_payment_penalty_rate") and not is_credit_note(snapshot):
        notes.append(
            (
                "PMT",
                f"Pénalités de retard : {seller['late_payment_penalty_rate']} % "
                "l'an. Pas d'escompte pour paiement anticipé.",
            )
        )
    if seller.get("recovery_indemnity") and not is_credit_note(snapshot):
        notes.append(
            (
                "PMD",
                "Indemnité forfaitaire pour frais de recouvrement : "
                f"{seller['recovery_indemnity']} {currency}.",
            )
        )
    for subject, text in notes:
        note = _sub(document, "ram:IncludedNote")
        _sub(note, "ram:Content", text)
        if subject:
            _sub(note, "ram:SubjectCode", subject)

    transaction = _sub(root, "rsm:SupplyChainTradeTransaction")
    for index, line in enumerate(snapshot["lines"], start=1):
        category = vat_category(line["vat_rate"], seller, buyer)
        item = _sub(transaction, "ram:IncludedSupplyChainTradeLineItem")
        _sub(_sub(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", str(index))
        _sub(_sub(item, "ram:SpecifiedTradeProduct"), "ram:Name", line["description"][:500])
        discount = Decimal(line.get("discount_percent") or 0)
        net_price = Decimal(line["unit_price"]) * (1 - discount / 100)
        agreement = _sub(item, "ram:SpecifiedLineTradeAgreement")
        _sub(
            _sub(agreement, "ram:NetPriceProductTradePrice"),
            "ram:ChargeAmount",
            _quantity(net_price.quantize(Decimal("0.0001"))),
        )
        delivery = _sub(item, "ram:SpecifiedLineTradeDelivery")
        _sub(delivery, "ram:BilledQuantity", _quantity(line["quantity"]), unitCode="C62")
        settlement = _sub(item, "ram:SpecifiedLineTradeSettlement")
        tax = _sub(settlement, "ram:ApplicableTradeTax")
        _sub(tax, "ram:TypeCode", "VAT")
        _sub(tax, "ram:CategoryCode", category)
        _sub(tax, "ram:RateApplicablePercent", _amount(line["vat_rate"]))
        summation = _sub(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
        _sub(summation, "ram:LineTotalAmount", _amount(line["net"]))

    agreement = _sub(transaction, "ram:ApplicableHeaderTradeAgreement")
    _party(
        agreement,
        "ram:SellerTradeParty",
        seller,
        seller.get("siren", ""),
        seller.get("vat_number", ""),
    )
    _party(
        agreement,
        "ram:BuyerTradeParty",
        buyer,
        buyer.get("company_id", ""),
        buyer.get("vat_number", ""),
    )
    _sub(transaction, "ram:ApplicableHeaderTradeDelivery")

    settlement = _sub(transaction, "ram:ApplicableHeaderTradeSettlement")
    _sub(settlement, "ram:InvoiceCurrencyCode", currency)
    if seller.get("iban") and not is_credit_note(snapshot):
        means = _sub(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
        _sub(means, "ram:TypeCode", "58")
        _sub(
            _sub(means, "ram:PayeePartyCreditorFinancialAccount"),
            "ram:IBANID",
            seller["iban"].replace(" ", ""),
        )
    # VAT breakdown by category and rate (BG-23), from the lines' rounded nets.
    groups: dict[tuple[str, Decimal], Decimal] = {}
    for line in snapshot["lines"]:
        key = (vat_category(line["vat_rate"], seller, buyer), Decimal(line["vat_rate"]))
        groups[key] = groups.get(key, Decimal(0)) + Decimal(line["net"])
    vat_by_rate = {
        Decimal(row["rate"]): Decimal(row["vat"]) for row in snapshot["totals"]["vat_breakdown"]
    }
    for (category, rate), base in sorted(groups.items(), key=lambda kv: (-kv[0][1], kv[0][0])):
        tax = _sub(settlement, "ram:ApplicableTradeTax")
        _sub(
            tax, "ram:CalculatedAmount", _amount(vat_by_rate.get(rate, 0) if category == "S" else 0)
        )
        _sub(tax, "ram:TypeCode", "VAT")
        if category in EXEMPTIONS:
            _sub(tax, "ram:ExemptionReason", EXEMPTIONS[category][1])
        _sub(tax, "ram:BasisAmount", _amount(base))
        _sub(tax, "ram:CategoryCode", category)
        if category in EXEMPTIONS and EXEMPTIONS[category][0]:
            _sub(tax, "ram:ExemptionReasonCode", EXEMPTIONS[category][0])
        _sub(tax, "ram:RateApplicablePercent", _amount(rate))
    terms = _sub(settlement, "ram:SpecifiedTradePaymentTerms")
    if text := terms_text(snapshot):
        _sub(terms, "ram:Description", text)
    if snapshot.get("due_date") and not is_credit_note(snapshot):
        _date(terms, "ram:DueDateDateTime", snapshot["due_date"])
    totals = snapshot["totals"]
    summation = _sub(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _sub(summation, "ram:LineTotalAmount", _amount(totals["net"]))
    _sub(summation, "ram:TaxBasisTotalAmount", _amount(totals["net"]))
    _sub(summation, "ram:TaxTotalAmount", _amount(totals["vat"]), currencyID=currency)
    _sub(summation, "ram:GrandTotalAmount", _amount(totals["gross"]))
    _sub(summation, "ram:DuePayableAmount", _amount(totals["gross"]))
    if snapshot.get("corrects"):  # BT-25, BT-26: the invoice a credit note corrects
        referenced = _sub(settlement, "ram:InvoiceReferencedDocument")
        _sub(referenced, "ram:IssuerAssignedID", snapshot["corrects"]["number"])
        issued = _sub(referenced, "ram:FormattedIssueDateTime")
        _sub(
            issued,
            "qdt:DateTimeString",
            snapshot["corrects"]["issue_date"].replace("-", ""),
            format="102",
        )
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
