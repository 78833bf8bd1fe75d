"""Payments in the Billing app: record one for selected invoices, list them, undo them,
and a client's account (open invoices, credit, what is owed)."""

from collections import defaultdict
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from facturier.clients.permissions import visible_clients
from facturier.core.errors import DomainError, Invalid
from facturier.invoicing.lifecycle import payment_states
from facturier.receivables import actions
from facturier.receivables.models import Payment
from facturier.receivables.permissions import may_record, payment_refusal
from facturier.receivables.selectors import (
    client_credit,
    client_letters,
    open_invoices,
    payable_invoices,
    payment_allocations,
    payment_detail,
    payment_list,
    reminder_pause,
)

from .clients import client_details
from .common import back_url, ids_from, refusal_text, section
from .direct_debits import mandate_rows
from .fields import AmountField, DayField, typed_amount
from .once import once
from .templatetags.billing import money as format_money

PAGE_SIZE = 50


class PaymentForm(forms.Form):
    received_on = DayField(
        label=gettext_lazy("Date received"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    amount = AmountField(  # 1 234,56 in French, as a person types it
        label=gettext_lazy("Amount"),
        min_value=Decimal("0.01"),
        max_digits=14,
        decimal_places=2,
    )
    method = forms.ChoiceField(label=gettext_lazy("Method"), choices=Payment.Method.choices)
    reference = forms.CharField(
        label=gettext_lazy("Reference"),
        required=False,
        max_length=140,
        help_text=gettext_lazy("As on the bank statement or the cheque."),
    )


def _context(**extra):
    return section("billing", "payments", **extra)


def refused(request, back: str) -> HttpResponse | None:
    """Back to `back` with the reason, for a user who may not record payments."""
    refusal = payment_refusal(request.user)
    if refusal is not None:
        messages.error(request, refusal.message)
        return redirect(back)
    return None


def _one_client(invoices):
    clients = {invoice.client_id for invoice in invoices}
    currencies = {invoice.currency for invoice in invoices}
    if len(clients) != 1:
        return _("Select invoices of one client.")
    if len(currencies) != 1:
        return _("Select invoices in one currency.")
    return None


@login_required
@once
def payment_new(request: HttpRequest) -> HttpResponse:
    """Record a payment: for the invoices selected in the list, or for a client."""
    back = back_url(request, reverse("billing:invoices"))
    if response := refused(request, back):
        return response
    source = request.POST if request.method == "POST" else request.GET
    ids = ids_from(source.getlist("ids"))
    if ids:
        invoices = payable_invoices(user=request.user, ids=ids)
        if problem := _selection_problem(invoices, ids):
            messages.error(request, problem)
            return redirect(back)
        client = invoices[0].client
    else:
        client, invoices = _client_and_open_invoices(request, source)
    currency = invoices[0].currency if invoices else client.currency
    owed = sum((invoice.balance for invoice in invoices), Decimal(0))
    form = PaymentForm(
        request.POST or None,
        initial={
            "received_on": timezone.localdate(),
            "amount": owed or None,
            "method": Payment.Method.TRANSFER,
        },
    )
    typed = {
        invoice.pk: request.POST.get(f"alloc-{invoice.pk}", "").strip() for invoice in invoices
    }
    errors: dict[str, list[str]] = {}
    if request.method == "POST" and form.is_valid():
        allocations = [
            {"invoice": invoice.pk, "amount": typed_amount(typed[invoice.pk])}
            for invoice in invoices
        ]
        try:
            _record(request, form, client=client, currency=currency, allocations=allocations)
        except Invalid as exc:
            errors = exc.errors
            _add_field_errors(form, exc.errors)
        else:
            return redirect(back)
    rows = [
        (invoice, typed[invoice.pk], _row_errors(errors, index))
        for index, invoice in enumerate(invoices)
    ]
    return render(
        request,
        "billing/payment_form.html",
        _context(
            form=form,
            client=client,
            currency=currency,
            rows=rows,
            owed=owed,
            ids=ids,
            general_errors=errors.get("allocations", []),
            next=back,
        ),
        status=422 if request.method == "POST" else 200,
    )


def _record(request, form, *, client, currency, allocations) -> None:
    """Record the payment and say so; a refusal other than a field's is said too."""
    try:
        payment = actions.record_payment(
            by=request.user,
            client=client,
            currency=currency,
            allocations=allocations,
            **form.cleaned_data,
        )
    except Invalid:
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _recorded_message(payment))


def _selection_problem(invoices, ids) -> str | None:
    """Why the selected invoices cannot be paid together, or None."""
    if len(invoices) != len(set(ids)):
        return _("Select finalized invoices with something left to pay.")
    return _one_client(invoices)


def _client_and_open_invoices(request, source):
    """The client asked for, and its open invoices in its own currency."""
    client_ids = ids_from([source.get("client", "")])
    client = visible_clients(request.user).filter(pk__in=client_ids).first()
    if client is None:
        raise Http404(_("No such client."))
    invoices = list(
        open_invoices(user=request.user, client_id=client.pk)
        .filter(currency=client.currency)
        .select_related("client")
    )
    return client, invoices


def _add_field_errors(form, errors: dict[str, list[str]]) -> None:
    """The errors of the form's own fields, shown beside them."""
    for name, field_errors in errors.items():
        if name in form.fields:
            for error in field_errors:
                form.add_error(name, error)


def _row_errors(errors: dict[str, list[str]], index: int) -> list[str]:
    return errors.get(f"allocations.{index}.amount", []) + errors.get(
        f"allocations.{index}.invoice", []
    )


def _recorded_message(payment: Payment) -> str:
    amount = format_money(payment.amount, payment.currency)
    if payment.unallocated:
        return _("Payment of %(amount)s recorded; %(credit)s kept as the client's credit.") % {
            "amount": amount,
            "credit": format_money(payment.unallocated, payment.currency),
        }
    return _("Payment of %(amount)s recorded.") % {"amount": amount}


@login_required
@require_GET
def payment_list_view(request: HttpRequest) -> HttpResponse:
    page = Paginator(payment_list(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "billing/payment_list.html",
        _context(page=page, can_record=may_record(request.user)),
    )


def _get_payment(request, pk: int) -> Payment:
    payment = payment_detail(user=request.user, pk=pk)
    if payment is None:
        raise Http404(_("No such payment."))
    return payment


@login_required
@require_GET
def payment_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    payment = _get_payment(request, pk)
    return render(
        request,
        "billing/payment_detail.html",
        _context(
            payment=payment,
            allocations=list(payment_allocations(payment=payment)),
            open_invoices=list(
                open_invoices(user=request.user, client_id=payment.client_id).filter(
                    currency=payment.currency
                )[:50]
            ),
            can_record=may_record(request.user),
        ),
    )


@login_required
@require_POST
def payment_change(request: HttpRequest, pk: int) -> HttpResponse:
    """The payment page's buttons: allocate the credit, refund it, remove an allocation,
    delete the payment."""
    payment = _get_payment(request, pk)
    here = reverse("billing:payment", args=[payment.pk])
    back = back_url(request, here)
    what = request.POST.get("action", "")
    try:
        if what == "allocate":
            ids = ids_from(request.POST.getlist("ids"))
            actions.allocate_payment(
                payment, by=request.user, allocations=[{"invoice": i} for i in ids] or None
            )
            messages.success(request, _("Credit allocated."))
        elif what == "refund":
            actions.refund_credit(
                payment, by=request.user, amount=typed_amount(request.POST.get("amount", ""))
            )
            messages.success(request, _("Refund recorded."))
        elif what == "unallocate":
            ids = ids_from([request.POST.get("allocation", "")])
            actions.remove_allocation(ids[0] if ids else 0, by=request.user)
            messages.success(request, _("Allocation removed."))
        elif what == "delete":
            actions.delete_payment(payment, by=request.user)
            messages.success(request, _("Payment deleted."))
            return redirect(back if back != here else reverse("billing:payments"))
        else:
            messages.error(request, _("Unknown action."))
    except DomainError as exc:
        messages.error(request, refusal_text(exc))
    return redirect(back)


@login_required
@require_POST
def allocation_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Take back one allocation, of a payment or of a credit note, from the invoice's page:
    the invoice owes the amount again, the payment or credit note has it again."""
    back = back_url(request, reverse("billing:invoices"))
    try:
        actions.remove_allocation(pk, by=request.user)
    except DomainError as exc:
        messages.error(request, refusal_text(exc))
    else:
        messages.success(request, _("Allocation removed."))
    return redirect(back)


@login_required
@require_GET
def client_account(request: HttpRequest, pk: int) -> HttpResponse:
    """A client's account: what it owes (per currency), its credit, its open invoices and
    its latest payments."""
    client = visible_clients(request.user).filter(pk=pk).first()
    if client is None:
        raise Http404(_("No such client."))
    invoices = list(open_invoices(user=request.user, client_id=client.pk))
    today = timezone.localdate()
    owed: dict[str, Decimal] = defaultdict(Decimal)
    for invoice in invoices:
        owed[invoice.currency] += invoice.balance
    return render(
        request,
        "billing/client_account.html",
        section(
            "billing",
            "clients",
            client=client,
            **client_details(request.user, client),
            rows=[(invoice, payment_states(invoice, today)) for invoice in invoices],
            owed=dict(owed),
            credit=client_credit(user=request.user, client_id=client.pk),
            payments=list(payment_list(user=request.user, client_id=client.pk)[:20]),
            can_record=may_record(request.user),
            statement_period={"start": today.replace(month=1, day=1), "end": today},
            reminder_pause=reminder_pause(client_id=client.pk),
            letters=list(client_letters(client_id=client.pk)[:20]),
            mandates=mandate_rows(client.pk),
        ),
    )
