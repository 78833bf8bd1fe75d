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
from .fields import typed_amount
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
    chosen = _chosen_lines(request.POST, len(lines))
    typed = _typed_amounts(request.POST, rates)
    if request.method == "POST" and mode not in MODES:
        # Never a default: an unknown choice would credit the whole invoice.
        errors = {"mode": [_(UNKNOWN_MODE)]}
    elif request.method == "POST":
        try:
            credit_note = actions.create_credit_note(
                invoice,
                by=request.user,
                lines=chosen if mode == "lines" else None,
                amounts=[{k: v for k, v in a.items() if k != "index"} for a in typed]
                if mode == "amounts"
                else None,
                notes=request.POST.get("notes", ""),
                returns_entries=request.POST.get("returns_entries") == "1",
            )
        except Invalid as exc:
            errors = exc.errors
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("billing:invoice", pk=pk)
        else:
            messages.success(
                request, _("Credit note drafted: check it, then finalize it to issue it.")
            )
            return redirect("billing:invoice", pk=credit_note.pk)
    return render(
        request,
        "billing/credit_note_form.html",
        section(
            "billing",
            "invoices",
            **_form_context(request.POST, invoice, lines, rates, errors, chosen, typed),
            left=left,
            mode=mode if mode in MODES else "total",
        ),
        status=422 if errors else 200,
    )


def _form_context(posted, invoice, lines, rates, errors, chosen, typed) -> dict:
    """The form as typed, each refusal beside its input."""
    beside, above = _beside(errors, chosen, typed)
    return {
        "invoice": invoice,
        "lines": [
            (
                index,
                line,
                bool(posted.get(f"line-{index}")),
                posted.get(f"quantity-{index}", ""),
                beside.get(f"quantity-{index}", ""),
            )
            for index, line in enumerate(lines)
        ],
        "rates": [
            (*row, beside.get(f"amount-{row[0]}", ""))
            for row in _rate_rows(posted, invoice, lines, rates)
        ],
        "errors": errors,
        "messages_flat": above,
        "notes": posted.get("notes", ""),
        "returns_entries": posted.get("returns_entries") == "1",
    }


def _chosen_lines(posted, count: int) -> list[dict]:
    """The lines ticked, each with the quantity typed."""
    return [
        {"line": index, "quantity": posted.get(f"quantity-{index}", "").strip()}
        for index in range(count)
        if posted.get(f"line-{index}")
    ]


def _beside(errors: dict, chosen: list[dict], typed: list[dict]) -> tuple[dict, list[str]]:
    """Each refusal of a line's quantity or a rate's amount keyed by its input's name
    (said beside it), and the others (said above the form)."""
    beside: dict[str, str] = {}
    above: list[str] = []
    for key, texts in errors.items():
        parts = key.split(".")
        if len(parts) == 3 and parts[1].isdigit():
            group, position, field = parts[0], int(parts[1]), parts[2]
            if group == "lines" and field == "quantity" and position < len(chosen):
                beside[f"quantity-{chosen[position]['line']}"] = texts[0]
                continue
            if group == "amounts" and field == "amount" and position < len(typed):
                beside[f"amount-{typed[position]['index']}"] = texts[0]
                continue
        above += texts
    if beside and not above:
        above = [_("Some fields need attention: see beside them.")]
    return beside, above


def _typed_amounts(posted, rates: list[Decimal]) -> list[dict]:
    """The amount typed for each VAT rate, where one is (with the rate's row)."""
    return [
        {"vat_rate": rate, "amount": value, "index": index}
        for index, rate in enumerate(rates)
        if (value := posted.get(f"amount-{index}", "").strip())
    ]


def _rate_rows(posted, invoice, lines, rates: list[Decimal]) -> list[tuple]:
    """Per VAT rate: its index, the rate, the invoice's base at it (its invoice discount
    taken off), the amount typed."""
    bases: dict[Decimal, Decimal] = defaultdict(Decimal)
    for row in invoice.compute_totals(lines).vat_breakdown:
        bases[row.rate] += row.base
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
                pk, by=request.user, amount=typed_amount(request.POST.get("amount", ""))
            )
            messages.success(request, _("Refund recorded."))
        else:
            messages.error(request, _("Unknown action."))
    except DomainError as exc:
        messages.error(request, refusal_text(exc))
    return redirect(back)
