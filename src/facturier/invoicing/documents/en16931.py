"""What a finalized invoice says as an e-invoice (EN 16931 with the French CTC rules),
computed once from its snapshot; cii.py and ubl.py only write it in their syntax.

The French rules (FNFE-MPE "BR-FR Flux 2") add to EN 16931: the billing framework
(BT-23), electronic addresses for both parties (BT-34, BT-49; scheme 0225 is the
French directory's, keyed by the SIREN), three coded notes (PMT the fixed recovery
indemnity, PMD the late-payment penalties, AAB the early-payment discount or its
absence), the VAT in EUR for an invoice in another currency, and only the French
VAT rates. Old snapshots (version 1) lack some fields: each has a default here.
"""

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from facturier.core import tax
from facturier.core.identifiers import compact, siren_of

# Electronic address schemes (EAS) of VAT numbers, by the number's country prefix.
VAT_EAS = {
    "AT": "9915", "BE": "9925", "BG": "9926", "CH": "9927", "CY": "9928", "CZ": "9929",
    "DE": "9930", "EE": "9931", "GB": "9932", "EL": "9933", "GR": "9933", "HR": "9934",
    "IE": "9935", "LI": "9936", "LT": "9937", "LU": "9938", "LV": "9939", "MC": "9940",
    "MT": "9943", "NL": "9944", "PL": "9945", "PT": "9946", "RO": "9947", "SI": "9949",
    "SK": "9950", "SM": "9951", "ES": "9920", "HU": "9910", "IT": "0211", "FR": "9957",
}  # fmt: skip
# Electronic address schemes of company registration numbers, by the party's country.
COMPANY_EAS = {"NO": "0192", "SE": "0007", "DK": "0184", "FI": "0216", "BE": "0208"}
SIREN_SCHEME = "0225"  # the French e-invoicing directory: SIREN[_suffix]
LEGAL_ID_SCHEME = "0002"  # SIREN as a legal registration identifier
CENT = Decimal("0.01")


@dataclass(frozen=True)
class VatGroup:
    category: str  # UNCL 5305: S, E, AE, K, G
    rate: Decimal
    base: Decimal  # taxable amount, after the invoice discount's part
    vat: Decimal
    lines_sum: Decimal  # the lines at this rate, before the invoice discount
    allowance: Decimal  # the invoice discount's part at this rate (BG-20)
    reason_code: str | None
    reason: str | None


@dataclass(frozen=True)
class Line:
    id: str
    name: str  # BT-153, a short form
    description: str | None  # BT-154, the whole text when the name is shorter
    quantity: Decimal
    price: Decimal  # net price (BT-146), never negative
    gross: Decimal  # quantity x price, to the cent: the base of the line's discount
    allowance: Decimal  # the line's discount (BG-27), 0 when none
    discount_percent: Decimal
    net: Decimal
    category: str
    rate: Decimal


def amount(value) -> str:
    return f"{Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)}"


def decimal_text(value) -> str:
    return format(Decimal(value).normalize() + 0, "f")


def is_credit_note(snapshot: dict[str, Any]) -> bool:
    return snapshot.get("kind") == "credit_note"


# BT-3: UNCL 1001 380 a commercial invoice, 386 a prepayment (deposit) invoice, 381 a
# credit note.
def type_code(snapshot: dict[str, Any]) -> str:
    if is_credit_note(snapshot):
        return "381"
    return "386" if snapshot.get("deposit") else "380"


def prepaid(snapshot: dict[str, Any]) -> Decimal:
    """BT-113, the deposits paid that the invoice deducts."""
    return Decimal((snapshot.get("prepaid") or {}).get("amount") or 0)


def amount_due(snapshot: dict[str, Any]) -> Decimal:
    """BT-115: the total with VAT less the deposits paid."""
    return Decimal(snapshot["totals"]["gross"]) - prepaid(snapshot)


def preceding_invoices(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
    """BG-3: the invoice a credit note corrects, or the deposit invoices deducted."""
    if snapshot.get("corrects"):
        return [snapshot["corrects"]]
    return list((snapshot.get("prepaid") or {}).get("deposits") or [])


def framework_code(snapshot: dict[str, Any]) -> str:
    """BT-23: B goods, S services, M both; 1 an invoice, 4 a final one after deposits."""
    letter = {"goods": "B", "mixed": "M"}.get(snapshot.get("operation") or "services", "S")
    return letter + ("4" if snapshot.get("after_deposits") else "1")


def vat_groups(snapshot: dict[str, Any]) -> list[VatGroup]:
    seller, buyer = snapshot["seller"], snapshot["buyer"]
    operation = snapshot.get("operation") or "services"
    groups = []
    for row in snapshot["totals"]["vat_breakdown"]:
        rate = Decimal(row["rate"])
        category = tax.vat_category(rate, seller, buyer, operation)
        allowance = Decimal(row.get("allowance") or 0)
        code, reason = tax.exemption(category, seller, buyer)
        groups.append(
            VatGroup(
                category=category,
                rate=rate,
                base=Decimal(row["base"]),
                vat=Decimal(row["vat"]) if category == "S" else Decimal(0),
                lines_sum=Decimal(row["base"]) + allowance,
                allowance=allowance,
                reason_code=code,
                reason=reason,
            )
        )
    return groups


NAME_LENGTH = 100


def item_name(text: str) -> str:
    """A short form of a line's text for the item name: its first line, cut at a word
    within 100 characters. The whole text goes into the item description."""
    first = (text or "").strip().splitlines()[0] if (text or "").strip() else "-"
    if len(first) <= NAME_LENGTH:
        return first
    cut = first[: NAME_LENGTH - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut) + "…"


def lines(snapshot: dict[str, Any]) -> list[Line]:
    seller, buyer = snapshot["seller"], snapshot["buyer"]
    operation = snapshot.get("operation") or "services"
    result = []
    for index, line in enumerate(snapshot["lines"], start=1):
        quantity, price = Decimal(line["quantity"]), Decimal(line["unit_price"])
        net = Decimal(line["net"])
        discount = Decimal(line.get("discount_percent") or 0)
        gross = (quantity * price).quantize(CENT, rounding=ROUND_HALF_UP)
        text = (line["description"] or "").strip()
        name = item_name(text)
        result.append(
            Line(
                id=str(index),
                name=name,
                description=text if text != name else None,
                quantity=quantity,
                price=price,
                gross=gross,
                allowance=(gross - net) if discount else Decimal(0),
                discount_percent=discount,
                net=net,
                category=tax.vat_category(line["vat_rate"], seller, buyer, operation),
                rate=Decimal(line["vat_rate"]),
            )
        )
    return result


def notes(snapshot: dict[str, Any]) -> list[tuple[str | None, str]]:
    """The invoice's notes (BG-1) as (subject code, text): the invoice's own note, then
    the three mentions the French rules require on every invoice (BR-FR-05)."""
    seller = snapshot["seller"]
    found: list[tuple[str | None, str]] = []
    if snapshot.get("notes"):
        found.append((None, snapshot["notes"]))
    found.append(("PMT", tax.recovery_text(seller)))
    found.append(("PMD", tax.late_payment_text(seller)))
    found.append(("AAB", "Pas d'escompte pour paiement anticipé."))
    if seller.get("vat_on_debits"):
        found.append(("TXD", tax.VAT_ON_DEBITS))
    return found


def terms_text(snapshot: dict[str, Any]) -> str | None:
    """The payment terms (BT-20), in the French the e-invoice is written in."""
    if is_credit_note(snapshot) and snapshot.get("corrects"):
        return f"Avoir sur la facture {snapshot['corrects']['number']}, imputé sur son solde"
    if snapshot.get("payment_terms_days") is not None:
        return f"Paiement à {snapshot['payment_terms_days']} jours"
    return None


EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def electronic_address(party: dict[str, Any], *, siren: str = "") -> tuple[str, str] | None:
    """(scheme, identifier) where the party receives e-invoices (BT-34 / BT-49): the
    address the directory gave, else the French directory's by SIREN, else its VAT
    number's scheme, else its e-mail."""
    given = (party.get("einvoice_address") or "").strip()
    if ":" in given:
        scheme, identifier = given.split(":", 1)
        return scheme, identifier
    siren = siren or (siren_of(party.get("company_id", "")) if tax.country(party) == "FR" else "")
    if siren:
        return SIREN_SCHEME, siren
    vat = compact(party.get("vat_number", ""))
    if vat[:2] in VAT_EAS:
        return VAT_EAS[vat[:2]], vat
    company_id = compact(party.get("company_id", ""))
    if company_id and tax.country(party) in COMPANY_EAS:
        return COMPANY_EAS[tax.country(party)], company_id
    email = party.get("contact_email") or party.get("email") or ""
    if EMAIL.match(email):
        return "EM", email
    return None


def seller_siren(seller: dict[str, Any]) -> str:
    return siren_of(seller.get("siren", "")) if tax.country(seller) == "FR" else ""


def seller_tax_registration(seller: dict[str, Any]) -> str:
    """BT-32, the seller's tax registration identifier, where it stands for the VAT
    number (BR-S-02, BR-E-02 and their siblings): a French firm under the VAT franchise
    (art. 293 B), which has no VAT number, is registered with the tax office under its
    SIREN."""
    if seller.get("vat_number") or not seller.get("vat_franchise"):
        return ""
    return seller_siren(seller)


# The VAT categories whose seller may give BT-32 instead of a VAT number (EN 16931
# BR-S-02, BR-Z-02, BR-E-02, BR-AE-02, BR-AF-02, BR-AG-02); an intra-EU supply (K)
# and an export (G) need the VAT number itself.
TAX_REGISTRATION_SUFFICES = frozenset({"S", "Z", "E", "AE", "L", "M"})


def buyer_legal_id(buyer: dict[str, Any]) -> tuple[str, str | None]:
    """BT-47 and its scheme: a French client's SIREN (0002), else its id as given."""
    if tax.country(buyer) == "FR" and siren_of(buyer.get("company_id", "")):
        return siren_of(buyer["company_id"]), LEGAL_ID_SCHEME
    return (buyer.get("company_id") or "").strip(), None


def seller_legal_info(seller: dict[str, Any]) -> str:
    """BT-33: the legal form and the trade registration (RCS and its city, or RM)."""
    return " · ".join(p for p in (seller.get("legal_form"), seller.get("registration")) if p)


def supply(snapshot: dict[str, Any]) -> tuple[str | None, list[str] | None]:
    """(BT-72 date of supply, BG-14 period): the period when given; otherwise the date of
    supply, which is the issue date unless the invoice says another."""
    period = snapshot.get("period")
    if period and period[0] and period[1]:
        return snapshot.get("supply_date"), period
    return snapshot.get("supply_date") or snapshot["issue_date"], None


def delivery(snapshot: dict[str, Any]) -> dict[str, Any] | None:
    """BG-15, the deliver-to address: the invoice's, or for an intra-EU supply of goods
    (which must name the country the goods went to, BR-IC-12) the client's country."""
    if snapshot.get("delivery"):
        return snapshot["delivery"]
    if any(line.category == "K" for line in lines(snapshot)):
        return {"country": tax.country(snapshot["buyer"])}
    return None


def vat_in_eur(snapshot: dict[str, Any]) -> Decimal | None:
    """BT-111, the VAT total in EUR, for an invoice in another currency."""
    if snapshot["currency"] == "EUR" or not snapshot.get("exchange_rate"):
        return None
    vat = Decimal(snapshot["totals"]["vat"]) * Decimal(snapshot["exchange_rate"])
    return vat.quantize(CENT, rounding=ROUND_HALF_UP)


def missing(snapshot: dict[str, Any]) -> list[str]:
    """What an e-invoice needs that the invoice lacks, as codes (empty: nothing)."""
    seller, buyer = snapshot["seller"], snapshot["buyer"]
    found = []
    if not seller.get("country") or not buyer.get("country"):
        found.append("country")
    categories = {line.category for line in lines(snapshot)}
    # Every category but O asks for the VAT number, or for most the tax registration
    # identifier instead (BR-S/Z/E/AE/K/G-02).
    if not seller.get("vat_number") and not (
        seller_tax_registration(seller) and categories <= TAX_REGISTRATION_SUFFICES
    ):
        found.append("seller_vat_number")
    if "AE" in categories and not tax.business(buyer):
        found.append("buyer_vat_number")
    if "K" in categories and not buyer.get("vat_number"):
        found.append("buyer_vat_number")
    if tax.country(seller) == "FR" and not seller_siren(seller):
        found.append("seller_id")
    elif not seller.get("siren") and not seller.get("vat_number"):
        found.append("seller_id")
    if electronic_address(buyer) is None:
        found.append("buyer_address")
    if snapshot["currency"] != "EUR" and not snapshot.get("exchange_rate"):
        found.append("exchange_rate")
    if tax.country(seller) == "FR" and any(
        Decimal(line["vat_rate"]) not in tax.FRENCH_VAT_RATES for line in snapshot["lines"]
    ):
        found.append("vat_rate")
    return list(dict.fromkeys(found))
