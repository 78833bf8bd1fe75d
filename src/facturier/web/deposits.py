"""Deposit invoices in the Billing app: draft one for a client (an amount, or a
percentage of the fees), and make a draft deduct the deposits its client paid. Once
drafted, a deposit invoice is finalized, sent and paid with the invoice pages."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from facturier.clients.permissions import visible_clients
from facturier.core.converters import row_id
from facturier.core.errors import DomainError, Invalid
from facturier.invoicing import actions

from .billing import get_invoice
from .common import section
from .once import once

FIELDS = ("client", "amount", "percent", "fees", "vat_rate", "description")


@login_required
@once
def deposit_new(request: HttpRequest) -> HttpResponse:
    """The form of a deposit invoice; posted, the draft it makes."""
    typed = {name: request.POST.get(name, request.GET.get(name, "")) for name in FIELDS}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            draft = actions.draft_deposit(
                by=request.user,
                client=row_id(typed["client"]),
                amount=typed["amount"] or None,
                percent=typed["percent"] or None,
                fees=typed["fees"] or None,
                vat_rate=typed["vat_rate"] or None,
                description=typed["description"],
            )
        except Invalid as exc:
            errors = exc.errors
        except DomainError as exc:
            errors = {"client": [exc.message]}
        else:
            messages.success(
                request, _("Deposit invoice drafted: check it, then finalize it to issue it.")
            )
            return redirect("billing:invoice", pk=draft.pk)
    clients = visible_clients(request.user).filter(archived_at__isnull=True).order_by("sort_name")
    return render(
        request,
        "billing/deposit_form.html",
        section(
            "billing",
            "invoices",
            typed=typed,
            errors=errors,
            # What no field of the form names (the currency, the line), above the button.
            other_errors=[m for key, ms in errors.items() if key not in FIELDS for m in ms],
            clients=clients.only("pk", "name", "currency")[:1000],
        ),
        status=422 if errors else 200,
    )


@login_required
@require_POST
@once
def deduct_deposits(request: HttpRequest, pk: int) -> HttpResponse:
    """The draft deducts the deposits its client paid and no invoice deducts yet."""
    return _deposits_changed(
        request,
        pk,
        actions.deduct_deposits,
        done=_("Deducts the deposits %(numbers)s."),
        none=_("No deposit of this client is paid and left to deduct."),
    )


@login_required
@require_POST
@once
def release_deposits(request: HttpRequest, pk: int) -> HttpResponse:
    """The draft deducts no deposit any more: a later invoice may deduct them."""
    return _deposits_changed(
        request,
        pk,
        actions.release_deposits,
        done=_("No longer deducts the deposits %(numbers)s."),
        none=_("This draft deducts no deposit."),
    )


def _deposits_changed(request, pk: int, act, *, done: str, none: str) -> HttpResponse:
    """Run `act` on the draft; say what it did (`done`, with the deposits' numbers), that
    there was nothing to do (`none`), or why it was refused."""
    invoice = get_invoice(request, pk)
    try:
        deposits = act(invoice, by=request.user)
    except Invalid as exc:
        messages.error(request, " ".join(m for ms in exc.errors.values() for m in ms))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if deposits:
            numbers = ", ".join(d.number for d in deposits)
            messages.success(request, done % {"numbers": numbers})
        else:
            messages.info(request, none)
    return redirect("billing:invoice", pk=pk)
