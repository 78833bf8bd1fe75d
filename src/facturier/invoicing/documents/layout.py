"""From an invoice snapshot to the data the Typst layout prints.

Everything is formatted here (Babel for amounts, dates and numbers; gettext for
labels), in the invoice's language, so the layout only places strings.
"""

import re
from decimal import Decimal
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from facturier.core import tax
from facturier.core.formatting import Formatter
from facturier.core.identifiers import iban_for_reading

from .. import payment_reference
from . import en16931

PAPERS = {"a4": "a4", "us-letter": "us-letter"}
FONTS = {
    "Inter": "Inter",
    "Libertinus Serif": "Libertinus Serif",
    "New Computer Modern": "New Computer Modern",
}


LONG_WORD = re.compile(r"\S{30,}")


def _wrappable(text: str) -> str:
    """Typst breaks lines only between words: a long reference or URL would run
    over the amounts and off the page. Such words get a break opportunity (a
    zero-width space) every 8 characters; the e-invoice XML keeps them intact."""
    return LONG_WORD.sub(
        lambda word: "\u200b".join(word[0][i : i + 8] for i in range(0, len(word[0]), 8)),
        text,
    )


def party_block(party: dict[str, Any], ids: list[str]) -> dict[str, Any]:
    return {
        "name": _wrappable(party["name"]),
        "lines": [_wrappable(line) for line in _address(party)],
        "ids": ids,
    }


def legal_line(seller: dict[str, Any]) -> str:
    """The seller's identity as the foot of every page states it."""
    return " · ".join(
        part
        for part in (
            seller["name"],
            seller.get("legal_form"),
            _("SIREN %(siren)s") % {"siren": seller["siren"]} if seller.get("siren") else "",
            seller.get("registration"),
            _("VAT no. %(vat)s") % {"vat": seller["vat_number"]}
            if seller.get("vat_number")
            else "",
        )
        if part
    )


def _address(party: dict[str, Any]) -> list[str]:
    city = " ".join(p for p in (party.get("postal_code"), party.get("city")) if p)
    lines = [party.get("address_line1"), party.get("address_line2"), city]
    if party.get("country") and party.get("country") != "FR":
        lines.append(party["country"])
    return [line for line in lines if line]


def _supply_references(snapshot: dict[str, Any], fmt: Formatter) -> list[list[str]]:
    """The mentions of what was supplied and when, and the client's order."""
    operations = {
        "goods": _("Sale of goods"),
        "services": _("Provision of services"),
        "mixed": _("Sale of goods and provision of services"),
    }
    rows = [[_("Operation"), operations.get(snapshot.get("operation") or "services")]]
    supply_date, period = en16931.supply(snapshot)
    if period:
        rows.append(
            [
                _("Service period"),
                _("%(start)s to %(end)s")
                % {"start": fmt.date(period[0]), "end": fmt.date(period[1])},
            ]
        )
    if supply_date:
        rows.append([_("Date of supply"), fmt.date(supply_date)])
    if snapshot.get("purchase_order"):
        rows.append([_("Purchase order"), _wrappable(snapshot["purchase_order"])])
    if snapshot.get("delivery"):
        rows.append([_("Delivered to"), ", ".join(_address(snapshot["delivery"]))])
    return rows


def _vat_mentions(snapshot: dict[str, Any]) -> list[str]:
    """The legal mention for each VAT category that is not the standard rate, and the
    option for VAT on debits."""
    seller = snapshot["seller"]
    mentions = []
    for group in en16931.vat_groups(snapshot):
        if group.category == "AE":
            mentions.append(
                _("Reverse charge: VAT to be paid by the customer (autoliquidation), %(article)s.")
                % {"article": tax.reverse_charge_article(snapshot["buyer"])}
            )
        elif group.category == "K":
            mentions.append(_("Intra-EU supply exempt from VAT, art. 262 ter I of the CGI."))
        elif group.category == "G":
            mentions.append(_("Export: VAT exempt, art. 262 I of the CGI."))
        elif group.category == "E" and seller.get("vat_franchise"):
            mentions.append(_("VAT not applicable, art. 293 B of the French tax code (CGI)."))
        elif group.category == "E":
            mentions.append(seller.get("vat_exemption_reason") or _("Exempt from VAT."))
    if seller.get("vat_on_debits"):
        mentions.append(_("Option to pay VAT on debits."))
    return list(dict.fromkeys(mentions))


def _labels() -> dict[str, Any]:
    return {
        "bill_to": _("Bill to"),
        "columns": [
            _("Description"),
            _("Qty"),
            _("Unit price excl. VAT"),
            _("VAT"),
            _("Amount excl. VAT"),
        ],
        "total_net": _("Total excl. VAT"),
        "total_vat": _("VAT"),
        "total_gross": _("Total incl. VAT"),
        "due": _("Net to pay"),
        "payment": _("Payment"),
        "bank": _("Bank details"),
        "epc_qr": _("Pay by transfer: scan this code in your banking app"),
        "notes": _("Notes"),
        # {page} and {pages} are filled in by the layout.
        "page_pattern": _("Page {page} of {pages}"),
    }


def build_document(
    snapshot: dict[str, Any],
    *,
    draft: bool,
    logo_path: str | None = None,
    facturx: bool = False,
    epc_qr: bool = False,
) -> dict[str, Any]:
    """The layout's input for one invoice.

    `draft` adds the watermark and hides the number; `logo_path` names the logo's
    file; `facturx` asks the layout to attach the Factur-X XML file; `epc_qr` to print
    the EPC QR code's image.
    """
    language = snapshot.get("language") or "fr"
    with translation.override(language):
        document = _build(snapshot, language, draft=draft, logo_path=logo_path)
    document["facturx"] = facturx
    document["epc_qr"] = epc_qr
    return document


AMOUNT_COLUMNS = ("quantity", "unit_price", "vat_rate", "net")


def _build(snapshot, language, *, draft, logo_path):
    fmt = Formatter(language, snapshot["currency"])
    seller, buyer, template = snapshot["seller"], snapshot["buyer"], snapshot["template"]
    credit = snapshot.get("kind") == "credit_note"
    title = pgettext("document", "Credit note") if credit else _("Invoice")
    if snapshot.get("deposit"):
        title = _("Deposit invoice")
    number = None if draft else snapshot.get("number")
    lines = _lines(snapshot, fmt)
    return {
        "lang": language,
        **_template_fields(template, logo_path),
        "legal_footer": _wrappable(legal_line(seller)),
        "labels": _labels(),
        "title": title,
        "title_line": f"{title} {number}" if number else title,
        "number": number,
        "watermark": pgettext("watermark", "DRAFT") if draft else None,
        "references": _references(snapshot, fmt, draft=draft, credit=credit),
        "seller": party_block(seller, _seller_ids(seller)),
        "buyer": party_block(buyer, _buyer_ids(buyer)),
        "lines": lines,
        # The layout sizes each amount column by measuring only its longest entry.
        "amounts_widest": [
            max((line[key] for line in lines), key=len, default="") for key in AMOUNT_COLUMNS
        ],
        "totals": _totals(snapshot, fmt),
        "payment_lines": _payment_lines(snapshot, fmt, language, credit=credit),
        "vat_notes": _vat_mentions(snapshot),
        "bank_lines": [] if credit else _bank_lines(seller, snapshot.get("payment_reference")),
        "notes": _wrappable(snapshot.get("notes") or ""),
    }


def _template_fields(template, logo_path) -> dict[str, Any]:
    """What the invoice template decides: paper, font, colour, what shows, texts."""
    return {
        "paper": PAPERS.get(template.get("paper"), "a4"),
        "font": FONTS.get(template.get("font"), "Inter"),
        "accent": template.get("accent_color") or "#1f4e79",
        "show": {
            name[5:]: bool(value) for name, value in template.items() if name.startswith("show_")
        },
        "logo": logo_path,
        "header_text": _wrappable(template.get("header_text") or ""),
        "footer_text": _wrappable(template.get("footer_text") or ""),
    }


def _seller_ids(seller) -> list[str]:
    ids = []
    if seller.get("siren"):
        ids.append(_("SIREN %(siren)s") % {"siren": seller["siren"]})
    if seller.get("vat_number"):
        ids.append(_("VAT no. %(vat)s") % {"vat": seller["vat_number"]})
    return ids


def _buyer_ids(buyer) -> list[str]:
    ids = []
    if buyer.get("company_id"):
        ids.append(_("Company id %(id)s") % {"id": buyer["company_id"]})
    if buyer.get("vat_number"):
        ids.append(_("VAT no. %(vat)s") % {"vat": buyer["vat_number"]})
    return ids


def _references(snapshot, fmt: Formatter, *, draft: bool, credit: bool) -> list[list[str]]:
    """The label and value pairs beside the parties: status, dates, what is corrected."""
    references = []
    if draft:
        references.append([_("Status"), _("Draft: not a valid invoice")])
    references.append([_("Issue date"), fmt.date(snapshot["issue_date"])])
    if credit and snapshot.get("corrects"):
        references.append(
            [
                _("Corrects invoice"),
                _("%(number)s of %(date)s")
                % {
                    "number": snapshot["corrects"]["number"],
                    "date": fmt.date(snapshot["corrects"]["issue_date"]),
                },
            ]
        )
    elif snapshot.get("due_date"):
        references.append([_("Due date"), fmt.date(snapshot["due_date"])])
    if not credit and snapshot.get("payment_reference"):
        references.append(
            [_("Payment reference"), payment_reference.printed(snapshot["payment_reference"])]
        )
    references.extend(_supply_references(snapshot, fmt))
    return references


def _lines(snapshot, fmt: Formatter) -> list[dict[str, Any]]:
    lines = []
    for line in snapshot["lines"]:
        discount = None
        if Decimal(line.get("discount_percent") or 0):
            discount = _("Discount %(rate)s") % {"rate": fmt.percent(line["discount_percent"])}
        lines.append(
            {
                "description": _wrappable(line["description"]),
                "discount": discount,
                "quantity": fmt.number(line["quantity"]),
                "unit_price": fmt.unit_price(line["unit_price"]),
                "vat_rate": fmt.percent(line["vat_rate"]),
                "net": fmt.money(line["net"]),
            }
        )
    return lines


def _totals(snapshot, fmt: Formatter) -> dict[str, Any]:
    """The totals, each VAT rate's row, and the invoice discount's rows if any."""
    totals = snapshot["totals"]
    vat_rows = [
        [
            _("VAT %(rate)s on %(base)s")
            % {"rate": fmt.percent(row["rate"]), "base": fmt.money(row["base"])},
            fmt.money(row["vat"]),
        ]
        for row in totals["vat_breakdown"]
    ]
    discount_rows = []
    if Decimal(totals.get("allowance") or 0):
        discount_rows = [
            [_("Lines excl. VAT"), fmt.money(totals["lines_net"])],
            [
                _("Invoice discount %(rate)s")
                % {"rate": fmt.percent(snapshot["discount_percent"])},
                fmt.money(-Decimal(totals["allowance"])),
            ],
        ]
    return {
        "net": fmt.money(totals["net"]),
        "vat": fmt.money(totals["vat"]),
        "gross": fmt.money(totals["gross"]),
        # The deposits paid that the invoice deducts, and what is left to pay.
        "prepaid_rows": _prepaid_rows(snapshot, fmt),
        "due": fmt.money(en16931.amount_due(snapshot)),
        "vat_rows": vat_rows,
        "discount_rows": discount_rows,
    }


def _prepaid_rows(snapshot, fmt: Formatter) -> list[list[str]]:
    """One row per deposit deducted ("Acompte versé – facture n° X du JJ/MM/AAAA"),
    less its total."""
    return [
        [
            _("Deposit paid – invoice no. %(number)s of %(date)s")
            % {"number": deposit["number"], "date": fmt.date(deposit["issue_date"])},
            fmt.money(-Decimal(deposit["amount"])),
        ]
        for deposit in (snapshot.get("prepaid") or {}).get("deposits") or []
    ]


def _payment_lines(snapshot, fmt: Formatter, language: str, *, credit: bool) -> list[str]:
    """When the invoice is due and the legal terms of late payment; for a credit note,
    the invoice it is deducted from."""
    if credit:
        if snapshot.get("corrects"):
            return [
                _("This credit note is deducted from what is owed on invoice %(number)s.")
                % {"number": snapshot["corrects"]["number"]}
            ]
        return []
    lines = []
    if snapshot.get("due_date"):
        lines.append(
            _("Payment due by %(date)s (%(days)s days).")
            % {"date": fmt.date(snapshot["due_date"]), "days": snapshot["payment_terms_days"]}
        )
    return lines + _late_payment_terms(snapshot["seller"], fmt, language)


def _late_payment_terms(seller, fmt: Formatter, language: str) -> list[str]:
    """The terms French law requires on every invoice: penalties, no early-payment
    discount, the fixed recovery indemnity (in euros)."""
    if seller.get("late_payment_penalty_rate"):
        penalties = _("Late payment: penalties at an annual rate of %(rate)s.") % {
            "rate": fmt.percent(seller["late_payment_penalty_rate"])
        }
    else:
        penalties = _("Late payment: penalties at three times the legal interest rate.")
    indemnity = Formatter(language, "EUR").money(seller.get("recovery_indemnity") or "40.00")
    return [
        penalties,
        _("No discount for early payment."),
        _("Fixed indemnity for recovery costs in case of late payment: %(amount)s.")
        % {"amount": indemnity},
    ]


def _bank_lines(seller, reference: str | None) -> list[str]:
    lines = []
    if seller.get("iban"):
        lines.append(f"IBAN {iban_for_reading(seller['iban'])}")
    if seller.get("bic"):
        lines.append(f"BIC {seller['bic']}")
    if lines and reference:
        printed = payment_reference.printed(reference)
        lines.append(_("Reference to quote: %(reference)s") % {"reference": printed})
    return lines
