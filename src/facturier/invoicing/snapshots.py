"""The frozen content of a finalized invoice.

Everything the PDF and the e-invoice show is copied here at finalization, so
no later edit of the client, the firm or the template changes what was issued.
Amounts are strings (exact Decimals in JSON).
"""

import base64
from decimal import Decimal
from typing import Any

from .models import Invoice, InvoiceTemplate

TEMPLATE_FIELDS = [*InvoiceTemplate.SETTINGS_FIELDS, "logo_content_type"]


def _dec(value) -> str | None:
    return None if value is None else str(value)


def template_settings(template: InvoiceTemplate | None) -> dict[str, Any]:
    if template is None:
        template = InvoiceTemplate()  # the built-in defaults
    data = {name: getattr(template, name) for name in TEMPLATE_FIELDS}
    logo = bytes(template.logo) if template.logo else b""
    data["logo"] = base64.b64encode(logo).decode() if logo else ""
    return data


def seller_snapshot(firm) -> dict[str, Any]:
    return {
        "name": firm.name,
        "legal_form": firm.legal_form,
        "address_line1": firm.address_line1,
        "address_line2": firm.address_line2,
        "postal_code": firm.postal_code,
        "city": firm.city,
        "country": firm.country,
        "siren": firm.siren,
        "vat_number": firm.vat_number,
        "iban": firm.iban,
        "bic": firm.bic,
        "email": firm.email_from,
        "late_payment_penalty_rate": _dec(firm.late_payment_penalty_rate),
        "recovery_indemnity": _dec(firm.recovery_indemnity),
        "registration": firm.registration,
        "vat_on_debits": firm.vat_on_debits,
        "vat_franchise": firm.vat_franchise,
        "vat_exemption_reason": firm.vat_exemption_reason,
    }


def totals_snapshot(totals) -> dict[str, Any]:
    return {
        "net": _dec(totals.net),
        "vat": _dec(totals.vat),
        "gross": _dec(totals.gross),
        "lines_net": _dec(totals.lines_net),
        "allowance": _dec(totals.allowance),
        "vat_breakdown": [
            {
                "rate": _dec(b.rate),
                "base": _dec(b.base),
                "vat": _dec(b.vat),
                "allowance": _dec(b.allowance),
            }
            for b in totals.vat_breakdown
        ],
    }


def _date(value) -> str | None:
    return value.isoformat() if value else None


def build_snapshot(
    invoice: Invoice, template: InvoiceTemplate | None, *, lines=None, deposits=None
) -> dict[str, Any]:
    """The invoice's content as its documents read it; `lines` and `deposits` (the
    deposit invoices it deducts) when the caller has them already."""
    firm, client = invoice.firm, invoice.client
    lines = list(invoice.lines.all()) if lines is None else lines
    totals = invoice.compute_totals(lines)
    corrects = invoice.corrects if invoice.is_credit_note else None
    prepaid = _prepaid(invoice, deposits)
    return {
        "version": 2,
        "kind": invoice.kind,
        # A deposit invoice (type code 386).
        "deposit": invoice.deposit,
        # The deposit invoices it deducts (BG-3) and what they add up to (BT-113).
        "prepaid": prepaid,
        # The invoice a credit note corrects (EN 16931 BT-25, BT-26).
        "corrects": {
            "number": corrects.number,
            "issue_date": corrects.issue_date.isoformat(),
        }
        if corrects is not None
        else None,
        "einvoice": firm.einvoice_enabled,
        "number": invoice.number,
        # ISO 11649 reference a transfer quotes (BT-83); given with the number.
        "payment_reference": invoice.payment_reference,
        "issue_date": invoice.issue_date.isoformat(),
        "due_date": invoice.due_date.isoformat() if invoice.due_date else None,
        "payment_terms_days": invoice.payment_terms_days,
        "currency": invoice.currency,
        "language": template.label_language
        if template and template.label_language
        else client.language,
        "notes": invoice.notes,
        "operation": invoice.operation,
        # Deducts interim or deposit invoices: a final invoice after deposits (B4/S4/M4).
        "after_deposits": prepaid is not None
        or (invoice.wip_bill == "final" and invoice.deducts.exists()),
        "supply_date": _date(invoice.supply_date),
        "period": [_date(invoice.period_start), _date(invoice.period_end)]
        if invoice.period_start and invoice.period_end
        else None,
        "purchase_order": invoice.purchase_order,
        "delivery": _delivery(invoice),
        "discount_percent": _dec(invoice.discount_percent),
        "exchange_rate": _dec(invoice.exchange_rate),
        "seller": seller_snapshot(firm),
        "buyer": _buyer_snapshot(client),
        "lines": [_line_snapshot(line) for line in lines],
        "totals": totals_snapshot(totals),
        "template": template_settings(template),
    }


def _prepaid(invoice: Invoice, given: list[Invoice] | None) -> dict[str, Any] | None:
    """The deposit invoices the invoice deducts, each with its number, date and total."""
    if invoice.pk is None or invoice.is_credit_note:
        return None
    if given is None:
        deposits = list(
            invoice.deducts.filter(deposit=True)
            .order_by("issue_date", "pk")
            .values_list("number", "issue_date", "total_gross")
        )
    else:
        deposits = [(d.number, d.issue_date, d.total_gross) for d in given]
    if not deposits:
        return None
    return {
        "amount": _dec(sum((gross for _n, _d, gross in deposits), Decimal(0))),
        "deposits": [
            {"number": number, "issue_date": day.isoformat(), "amount": _dec(gross)}
            for number, day, gross in deposits
        ],
    }


def _delivery(invoice: Invoice) -> dict[str, Any] | None:
    """Where the invoice was delivered, if elsewhere than the client's address."""
    if not (invoice.delivery_address or invoice.delivery_city):
        return None
    return {
        "address_line1": invoice.delivery_address,
        "postal_code": invoice.delivery_postal_code,
        "city": invoice.delivery_city,
        "country": invoice.delivery_country or invoice.client.country,
    }


def _buyer_snapshot(client) -> dict[str, Any]:
    contact = client.billing_contact
    return {
        "id": client.pk,
        "name": client.name,
        "address_line1": client.address_line1,
        "address_line2": client.address_line2,
        "postal_code": client.postal_code,
        "city": client.city,
        "country": client.country,
        "company_id": client.company_id,
        "vat_number": client.vat_number,
        "einvoice_address": client.einvoice_address,
        "contact_name": contact.name if contact else "",
        "contact_email": contact.email if contact else "",
    }


def _line_snapshot(line) -> dict[str, Any]:
    return {
        "description": line.description,
        "quantity": _dec(line.quantity),
        "unit_price": _dec(line.unit_price),
        "vat_rate": _dec(line.vat_rate),
        "discount_percent": _dec(line.discount_percent),
        "net": _dec(line.net_amount),
    }
