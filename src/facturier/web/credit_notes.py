"""Credit notes in the Billing app: draft one from an issued invoice, and spend or
refund the credit it leaves. Once drafted, a credit note is edited, finalized, viewed
and sent with the invoice pages and dialogs."""

from collections import defaultdict
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_POST

from facturier.core.errors import DomainError, Invalid
from facturier.invoicing import actions
from facturier.invoicing.crediting import left_to_credit
from facturier.receivables import actions as receivables

from .availability import why_not
from .billing import get_invoice
from .common import back_url, refusal_text, section
from .once import once

MODES = ("total", "lines", "amounts")
UNKNOWN_MODE = gettext_noop(
    "Choose what to credit: the whole invoice, some lines, or an amount per VAT rate."
)


@login_required
@once
def credit_note_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Create a credit note: all of the invoice, some lines and quantities, or an amount
    per VAT rate."""
    invoice = get_invoice(request, pk)
    reason = why_not(request.user, invoice)["credit"]
    if reason:
        messages.error(request, reason)
        return redirect("billing:invoice", pk=pk)
    lines = list(invoice.lines.all())
    rates = sorted({line.vat_rate for line in lines}, reverse=True)
    left = left_to_credit(invoice)
    mode = request.POST.get("mode", "total" if left == invoice.total_gross else "lines")
    errors: dict[str, list[str]] = {}
    if request.method == "POST" and mode not in MODES:
        # Never a default: an unknown choice would credit the whole invoice.
        errors = {"mode": [_(UNKNOWN_MODE)]}
    elif request.method == "POST":
        drafted = _draft(request, invoice, mode, len(lines), rates)
        if isinstance(drafted, HttpResponse):
            return drafted
        errors = drafted
    return render(
        request,
        "billing/credit_note_form.html",
        section(
            "billing",
            "invoices",
            invoice=invoice,
            lines=[
                (
                    index,
                    line,
                    bool(request.POST.get(f"line-{index}")),
                    request.POST.get(f"quantity-{index}", ""),
                )
                for index, line in enumerate(lines)
            ],
            rates=_rate_rows(request.POST, lines, rates),
            left=left,
            mode=mode if mode in MODES else "total",
            errors=errors,
            messages_flat=[m for msgs in errors.values() for m in msgs],
            notes=request.POST.get("notes", ""),
        ),
        status=422 if errors else 200,
    )


def _draft(request, invoice, mode: str, count: int, rates) -> HttpResponse | dict:
    """Draft the credit note the form asks: where to go next, or the refusals by field."""
    try:
        credit_note = actions.create_credit_note(
            invoice,
            by=request.user,
            lines=_chosen_lines(request.POST, count) if mode == "lines" else None,
            amounts=_typed_amounts(request.POST, rates) if mode == "amounts" else None,
            notes=request.POST.get("notes", ""),
            returns_entries=request.POST.get("returns_entries") == "1",
        )
    except Invalid as exc:
        return exc.errors
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("billing:invoice", pk=invoice.pk)
    messages.success(request, _("Credit note drafted: check it, then finalize it to issue it."))
    return redirect("billing:invoice", pk=credit_note.pk)


def _chosen_lines(posted, count: int) -> list[dict]:
    """The lines ticked, each with the quantity typed."""
    return [
        {"line": index, "quantity": posted.get(f"quantity-{index}", "").strip()}
        for index in range(count)
        if posted.get(f"line-{index}")
    ]


def _typed_amounts(posted, rates: list[Decimal]) -> list[dict]:
    """The amount typed for each VAT rate, where one is."""
    return [
        {"vat_rate": rate, "amount": value.replace(",", ".")}
        for index, rate in enumerate(rates)
        if (value := posted.get(f"amount-{index}", "").strip())
    ]


def _rate_rows(posted, lines, rates: list[Decimal]) -> list[tuple]:
    """Per VAT rate: its index, the rate, the invoice's base at it, the amount typed."""
    bases: dict[Decimal, Decimal] = defaultdict(Decimal)
    for line in lines:
        bases[line.vat_rate] += line.net_amount
    return [
        (index, rate, bases[rate], posted.get(f"amount-{index}", ""))
        for index, rate in enumerate(rates)
    ]


@login_required
@require_POST
def credit_note_credit(request: HttpRequest, pk: int) -> HttpResponse:
    """A credit note's leftover credit: allocate it to open invoices, or refund it."""
    back = back_url(request, reverse("billing:invoice", args=[pk]))
    what = request.POST.get("action", "")
    try:
        if what == "allocate":
            receivables.allocate_credit_note(pk, by=request.user)
            messages.success(request, _("Credit allocated."))
        elif what == "refund":
            receivables.refund_credit_note(
                pk, by=request.user, amount=request.POST.get("amount", "").replace(",", ".")
            )
            messages.success(request, _("Refund recorded."))
        else:
            messages.error(request, _("Unknown action."))
    except DomainError as exc:
        messages.error(request, refusal_text(exc))
    return redirect(back)
