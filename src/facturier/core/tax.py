"""Tax rules and the legal mentions French law asks of an invoice, as pure functions
of the parties (a snapshot's seller and buyer): the VAT category of a rate, why a 0 %
line bears no VAT, and the late-payment and recovery mentions. The e-invoice
(invoicing/documents/en16931.py) and the PDF state them in the same words.
"""

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

EU = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split()
)
# VAT rates that exist in France (mainland, Corsica, overseas departments), as the
# French rules list them (BR-FR-16).
FRENCH_VAT_RATES = frozenset(
    Decimal(r) for r in "0 20 10 5.5 2.1 8.5 13 19.6 7 20.6 1.05 0.9 1.75 9.2 9.6".split()
)


def business(party: dict[str, Any]) -> bool:
    return bool(party.get("vat_number") or party.get("company_id"))


def country(party: dict[str, Any]) -> str:
    return (party.get("country") or "FR").upper()


def vat_category(rate, seller: dict, buyer: dict, operation: str = "services") -> str:
    """A rate above 0 is S. At 0 %: a firm under the franchise regime is E (art. 293 B);
    to a business abroad, services are reverse charged (AE), goods are an intra-EU
    supply (K) or an export (G); goods to anyone outside the EU are an export (G);
    anything else is exempt (E) for the firm's stated reason."""
    if Decimal(rate) > 0:
        return "S"
    if seller.get("vat_franchise"):
        return "E"
    abroad = country(buyer) != country(seller)
    goods = operation == "goods"
    if abroad and goods:
        return "K" if country(buyer) in EU and buyer.get("vat_number") else "G"
    if abroad and business(buyer):
        return "AE"
    return "E"


def reverse_charge_article(buyer: dict) -> str:
    """Services to a business in the EU (art. 283-2) or outside it (art. 259-1)."""
    return "art. 283-2 du CGI" if country(buyer) in EU else "art. 259-1 du CGI"


def exemption(category: str, seller: dict, buyer: dict) -> tuple[str | None, str | None]:
    """The VATEX code and the French wording of why a 0 % line bears no VAT."""
    if category == "AE":
        return "VATEX-EU-AE", f"Autoliquidation, {reverse_charge_article(buyer)}"
    if category == "K":
        return "VATEX-EU-IC", "Livraison intracommunautaire exonérée, art. 262 ter I du CGI"
    if category == "G":
        return "VATEX-EU-G", "Exportation exonérée, art. 262 I du CGI"
    if category == "E":
        if seller.get("vat_franchise"):
            return None, "TVA non applicable, art. 293 B du CGI"
        return None, seller.get("vat_exemption_reason") or "Exonération de TVA"
    return None, None


def late_payment_text(seller: dict[str, Any]) -> str:
    rate = seller.get("late_payment_penalty_rate")
    if rate:
        percent = format(Decimal(rate).normalize() + 0, "f")
        return (
            f"Pénalités de retard : taux annuel de {percent} % appliqué au "
            "montant TTC dû, à compter du jour suivant la date d'échéance."
        )
    return (
        "Pénalités de retard : trois fois le taux d'intérêt légal, à compter du jour "
        "suivant la date d'échéance."
    )


def recovery_text(seller: dict[str, Any]) -> str:
    indemnity = Decimal(seller.get("recovery_indemnity") or 40)
    amount = indemnity.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return (
        "Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : "
        f"{amount} EUR (art. L441-10 et D441-5 du code de commerce)."
    )


VAT_ON_DEBITS = "Option pour le paiement de la taxe d'après les débits."
