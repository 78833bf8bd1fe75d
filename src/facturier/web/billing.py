"""The Billing app: thin views over the selectors (reads) and actions (writes).

A refusal from an action becomes a message in the user's language; an invoice
the user may not see is a 404, whatever the reason.
"""

from collections.abc import Callable
from decimal import Decimal
from urllib.parse import urlencode

from csp.decorators import csp_replace
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from facturier.clients.permissions import client_choices, owned_client_ids, visible_clients
from facturier.core import money, reading
from facturier.core.errors import DomainError, Invalid
from facturier.invoicing import actions, permissions
from facturier.invoicing.lifecycle import InvoiceStatus, payment_states
from facturier.invoicing.selectors import (
    CappedPaginator,
    invoice_detail,
    invoice_events,
    invoice_rows,
    invoice_table,
    pending_invoice_ids,
    stored_pdf,
)
from facturier.receivables.dunning import levels_of
from facturier.receivables.permissions import may_record
from facturier.receivables.selectors import (
    invoice_allocations,
    invoice_debits,
    invoice_reminders,
    reminder_pause,
)
from facturier.web.einvoicing import invoice_transmissions, with_platform_status

from .availability import ROW_ACTIONS, Reasons, send_mode, why_not
from .common import back_url, confirmation, ids_from, refusal_text, section
from .fields import as_typed
from .forms import FilterForm, FinalizeForm, InvoiceForm, parse_lines, typed_lines, usable_templates

PAGE_SIZE = 25


def get_invoice(request, pk: int):
    invoice = invoice_detail(user=request.user, pk=pk)
    if invoice is None:
        raise Http404(_("No such invoice."))
    return invoice


def _context(request, **extra):
    return section("billing", "invoices", **extra)


# --- The Invoices tab -------------------------------------------------------------------


@login_required
@require_GET
def invoice_list_view(request: HttpRequest) -> HttpResponse:
    clients = client_choices(request.user)
    form = FilterForm(
        request.GET, clients=clients, can_see_closed=permissions.may_see_closed(request.user)
    )
    filters = form.filters()
    if platform := form.cleaned_data.get("platform"):
        listed = with_platform_status(invoice_table(user=request.user, filters=filters), platform)
    else:
        listed = invoice_rows(user=request.user, filters=filters)
    page = CappedPaginator(listed, PAGE_SIZE).get_page(request.GET.get("page"))
    invoices = list(page.object_list)
    pending = pending_invoice_ids(invoices)
    today = timezone.localdate()
    why = Reasons(request.user, invoices)
    rows = [
        (invoice, why(invoice, pending=invoice.pk in pending), payment_states(invoice, today))
        for invoice in invoices
    ]
    query = request.GET.copy()
    query.pop("page", None)
    context = _context(
        request,
        form=form,
        page=page,
        rows=rows,
        row_actions=ROW_ACTIONS,
        pending=pending,
        query=query.urlencode(),
        client_choices=clients,
        selected_client=filters.client_id,
        filtered=any(v for k, v in request.GET.items() if k not in ("page", "sort")),
        showing_closed="closed" in filters.effective_statuses,
        can_create=permissions.may_create_some(request.user),
        can_see_closed=permissions.may_see_closed(request.user),
        # Asked for by a link or by hand without the right: said, not silently dropped.
        closed_not_shown=InvoiceStatus.CLOSED in request.GET.getlist("status")
        and not permissions.may_see_closed(request.user),
    )
    # A filter change (htmx) asks for the table alone.
    if request.htmx:
        return render(request, "billing/_invoice_table.html", context)
    return render(request, "billing/invoice_list.html", context)


@login_required
@require_POST
def bulk_action(request: HttpRequest) -> HttpResponse:
    """The toolbar: one form, the selected ids, and the button that was pressed."""
    back = back_url(request, reverse("billing:invoices"))
    ids = ids_from(request.POST.getlist("ids"))
    action = request.POST.get("action", "")
    if not ids:
        messages.error(request, _("Select at least one invoice."))
        return redirect(back)
    if action in ONE_AT_A_TIME and len(ids) != 1:
        if action == "resend":
            messages.error(request, _("Resends go one at a time: select a single invoice."))
        else:
            messages.error(request, _("Select a single invoice for this action."))
        return redirect(back)
    handler = BULK_ACTIONS.get(action)
    if handler is None:
        messages.error(request, _("Unknown action."))
        return redirect(back)
    try:
        response = handler(request, ids, back, action)
    except DomainError as exc:
        messages.error(request, exc.message)
        response = None
    return redirect(back) if response is None else response


def _close_selected(request, ids, back, action) -> None:
    done = actions.close_invoices(ids, by=request.user)
    messages.success(
        request,
        confirmation(
            done,
            _("Invoice %(number)s closed."),
            ngettext("%(count)d invoice closed.", "%(count)d invoices closed.", len(done)),
        ),
    )


def _reopen_selected(request, ids, back, action) -> None:
    done = actions.reopen_invoices(ids, by=request.user)
    messages.success(
        request,
        confirmation(
            done,
            _("Invoice %(number)s reverted to Finalized."),
            ngettext(
                "%(count)d invoice reverted to Finalized.",
                "%(count)d invoices reverted to Finalized.",
                len(done),
            ),
        ),
    )


def _delete_selected(request, ids, back, action) -> None:
    actions.delete_drafts(ids, by=request.user)  # all of them, or none
    messages.success(
        request,
        ngettext("%(count)d draft deleted.", "%(count)d drafts deleted.", len(ids))
        % {"count": len(ids)},
    )


def _to_page_of_selection(url_name: str, *, with_mode: bool = False):
    """A button that opens a page for the selected invoices, coming back where it was;
    `with_mode` tells the page which button it was."""

    def handler(request, ids, back, action) -> HttpResponse:
        extra = [("mode", action)] if with_mode else []
        query = urlencode([("ids", i) for i in ids] + extra + [("next", back)])
        return redirect(reverse(url_name) + "?" + query)

    return handler


def _to_page_of_invoice(url_name: str):
    """A button that opens a page for the one invoice selected."""

    def handler(request, ids, back, action) -> HttpResponse:
        return redirect(url_name, pk=ids[0])

    return handler


ONE_AT_A_TIME = {"edit", "pdf", "resend", "finalize", "credit"}
# What each toolbar button does to the selection: None goes back to the list.
BULK_ACTIONS: dict[str, Callable[..., HttpResponse | None]] = {
    "close": _close_selected,
    "reopen": _reopen_selected,
    "delete": _delete_selected,
    "pay": _to_page_of_selection("billing:payment_new"),
    "remind": _to_page_of_selection("billing:remind"),
    "send": _to_page_of_selection("billing:send", with_mode=True),
    "resend": _to_page_of_selection("billing:send", with_mode=True),
    "credit": _to_page_of_invoice("billing:credit_note_new"),
    "edit": _to_page_of_invoice("billing:invoice_edit"),
    "finalize": _to_page_of_invoice("billing:invoice_finalize"),
    "pdf": _to_page_of_invoice("billing:invoice_pdf_view"),
}


# --- One invoice ------------------------------------------------------------------------


@login_required
@require_GET
def invoice_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = get_invoice(request, pk)
    lines = list(invoice.lines.all())
    totals = invoice.compute_totals(lines)
    deliveries = list(invoice.deliveries.select_related("requested_by"))
    why = why_not(request.user, invoice, pending=any(d.is_pending for d in deliveries))
    return render(
        request,
        "billing/invoice_detail.html",
        _context(
            request,
            invoice=invoice,
            lines=lines,
            totals=totals,
            events=invoice_events(invoice=invoice),
            deliveries=deliveries,
            pending=any(d.is_pending for d in deliveries),
            mail_files=settings.EMAIL_BACKEND.endswith("EmlFileBackend"),
            send_mode=send_mode(why),
            why=why,
            paid=payment_states(invoice, timezone.localdate()),
            allocations=invoice_allocations(invoice=invoice) if not invoice.is_draft else [],
            credit_notes=list(invoice.credit_notes.order_by("issue_date", "pk")),
            can_record=may_record(request.user),
            may_retry_email=permissions.may("retry", request.user, invoice),
            may_retry_platform=may_record(request.user),  # the processing permission
            **_reminders(invoice),
            transmissions=invoice_transmissions(invoice) if not invoice.is_draft else [],
            debits=list(invoice_debits(invoice_id=invoice.pk)),
            **_deposits(invoice, totals),
        ),
    )


def _deposits(invoice, totals) -> dict:
    """The deposit invoices the invoice deducts, and what is left to pay after them."""
    if invoice.deposit or invoice.is_credit_note:
        return {}
    deposits = list(invoice.deducts.filter(deposit=True).order_by("issue_date", "pk"))
    prepaid = sum((deposit.total_gross for deposit in deposits), Decimal(0))
    return {"deposits": deposits, "amount_due": totals.gross - prepaid}


def _reminders(invoice) -> dict:
    if invoice.is_draft or invoice.kind != "invoice":
        return {}
    items = list(invoice_reminders(invoice=invoice))
    if items:
        _levels, ranks = levels_of(invoice.firm_id)
        for item in items:
            item.rank = ranks.get(item.level_id)
    return {"reminders": items, "reminder_pause": reminder_pause(invoice=invoice)}


def _editor_context(request, form, lines, errors=None, invoice=None, typed=None):
    """`typed`: the lines as the user typed them (a refused form shows them so)."""
    line_errors: dict[int, dict[str, list[str]]] = {}
    other_errors = {}
    for key, messages_ in (errors or {}).items():
        parts = key.split(".")
        if parts[0] == "lines" and len(parts) == 3 and parts[1].isdigit():
            line_errors.setdefault(int(parts[1]), {})[parts[2]] = messages_
        else:
            other_errors[key] = messages_
    shown = typed if typed is not None else [_shown_as_typed(line) for line in lines]
    rows = [(line, line_errors.get(index, {})) for index, line in enumerate(shown)] or [({}, {})]
    currency = (form.data.get("currency") or (invoice.currency if invoice else "") or "EUR").upper()
    # The invoice discount as typed (a refused form) or as saved (an opened draft).
    discount = (
        form.data.get("discount_percent") if form.is_bound else form.initial.get("discount_percent")
    )
    return _context(
        request,
        form=form,
        rows=rows,
        invoice=invoice,
        errors=other_errors,
        totals=_preview_totals(lines, currency, discount),
        currency=currency,
    )


def _shown_as_typed(line: dict) -> dict:
    """A line sent back to its editor (a refused form) with its figures as the user of
    the page types them: 1234,56 in French, not the 1234.56 the lines editor read."""
    shown = dict(line)
    for name in ("quantity", "unit_price", "vat_rate", "discount_percent"):
        try:
            shown[name] = as_typed(Decimal(line.get(name) or ""))
        except (ArithmeticError, ValueError):  # empty, or not a number: as it was typed
            continue
    return shown


def _form_for(request, data=None, initial=None):
    clients = visible_clients(request.user).filter(pk__in=owned_client_ids(request.user))
    return InvoiceForm(
        data, initial=initial, clients=clients, templates=usable_templates(request.user.firm_id)
    )


def _save_draft(request, invoice=None) -> HttpResponse:
    form = _form_for(request, request.POST)
    lines = parse_lines(request.POST)
    if form.is_valid():
        try:
            if invoice is None:
                invoice = actions.create_draft(by=request.user, lines=lines, **form.action_fields())
            else:
                invoice = actions.update_draft(
                    invoice, by=request.user, lines=lines, **form.action_fields()
                )
            messages.success(request, _("Draft saved."))
        except Invalid as exc:
            for field, field_errors in exc.errors.items():
                if field in form.fields:
                    for error in field_errors:
                        form.add_error(field, error)
            return render(
                request,
                "billing/invoice_form.html",
                _editor_context(
                    request, form, lines, exc.errors, invoice, typed=typed_lines(request.POST)
                ),
                status=422,
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("billing:invoices")
        if request.POST.get("then") == "finalize":  # its Cancel comes back to this editor
            back = urlencode({"next": reverse("billing:invoice_edit", args=[invoice.pk])})
            return redirect(reverse("billing:invoice_finalize", args=[invoice.pk]) + "?" + back)
        return redirect("billing:invoice_edit", pk=invoice.pk)
    return render(
        request,
        "billing/invoice_form.html",
        _editor_context(request, form, lines, invoice=invoice, typed=typed_lines(request.POST)),
        status=422,
    )


@login_required
def invoice_create(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _save_draft(request)
    if not permissions.may_create_some(request.user):
        messages.error(
            request,
            _("Only an owner of a client with the processing permission may create invoices."),
        )
        return redirect("billing:invoices")
    initial = {}
    if client_ids := ids_from([request.GET.get("client", "")]):
        initial["client"] = client_ids[0]
    form = _form_for(request, initial=initial)
    return render(request, "billing/invoice_form.html", _editor_context(request, form, []))


@login_required
def invoice_edit(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = get_invoice(request, pk)
    reason = why_not(request.user, invoice)["edit"]
    if reason:
        messages.error(request, reason)
        return redirect("billing:invoice", pk=pk)
    if request.method == "POST":
        return _save_draft(request, invoice)
    form = _form_for(
        request,
        initial={
            "client": invoice.client_id,
            "issue_date": invoice.issue_date,
            "payment_terms_days": invoice.payment_terms_days,
            "currency": invoice.currency,
            "template": invoice.template_id,
            "notes": invoice.notes,
            **{name: getattr(invoice, name) for name in actions.MENTION_FIELDS},
        },
    )
    lines = [
        {
            "description": line.description,
            "quantity": _plain(line.quantity),
            "unit_price": _price(line.unit_price),
            "vat_rate": _plain(line.vat_rate),
            "discount_percent": _plain(line.discount_percent) if line.discount_percent else "",
        }
        for line in invoice.lines.all()
    ]
    return render(
        request, "billing/invoice_form.html", _editor_context(request, form, lines, invoice=invoice)
    )


def _plain(value: Decimal) -> str:
    return as_typed(value)


def _price(value: Decimal) -> str:
    """A unit price as it was typed: 80,40 and 1234,50 (cents kept), not 80,4; 0,1250
    keeps the decimals it has past the cents."""
    cents = value.quantize(Decimal("0.01"))
    return as_typed(value, places=2) if cents == value else as_typed(value)


@login_required
@require_POST
def invoice_delete(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = get_invoice(request, pk)
    try:
        actions.delete_draft(invoice, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("billing:invoice", pk=pk)
    messages.success(request, _("Draft deleted."))
    return redirect("billing:invoices")


@login_required
@require_POST
def totals_preview(request: HttpRequest) -> HttpResponse:
    """The editor's totals, recomputed by the server's one rounding rule as the user types."""
    currency = (request.POST.get("currency") or "").upper()
    if not currency and (client_ids := ids_from([request.POST.get("client", "")])):
        client = visible_clients(request.user).filter(pk=client_ids[0]).first()
        currency = client.currency if client else ""
    currency = currency if len(currency) == 3 and currency.isalpha() else "EUR"
    lines = parse_lines(request.POST)
    return render(
        request,
        "billing/_totals.html",
        {
            "totals": _preview_totals(lines, currency, request.POST.get("discount_percent")),
            "currency": currency,
        },
    )


def _figure(value, empty: int) -> Decimal | None:
    """A figure of the editor as the user typed it or as a draft gives it back (3,25 in
    French, 3.25, 1 234,50); `empty` when left blank; None while it is not a number."""
    text = str(value if value is not None else "").strip()
    return Decimal(empty) if not text else reading.decimal(text)


def _preview_totals(lines, currency, invoice_discount=None) -> money.Totals:
    pairs = []
    for line in lines:
        figures = [
            _figure(line.get("quantity"), 1),
            _figure(line.get("unit_price"), 0),
            _figure(line.get("vat_rate"), 0),
            _figure(line.get("discount_percent"), 0),
        ]
        if None in figures:  # half-typed numbers count once they are whole
            continue
        quantity, price, rate, discount = figures
        try:
            pairs.append((money.line_net(quantity, price, discount, currency), rate))
        except (ArithmeticError, ValueError):
            continue
    try:
        percent = _figure(invoice_discount, 0)
        if percent is None or not 0 <= percent <= 100:
            percent = Decimal(0)
        return money.compute_totals(pairs, currency, discount_percent=percent)
    except (ArithmeticError, ValueError):  # absurd figures while typing: show nothing yet
        return money.compute_totals([], currency)


# --- Finalize ---------------------------------------------------------------------------


@login_required
def invoice_finalize(request: HttpRequest, pk: int) -> HttpResponse:
    """The Finalize dialog: an optional template, then Finalize, or Finalize and Send."""
    invoice = get_invoice(request, pk)
    templates = usable_templates(invoice.firm_id)
    default = invoice.template or templates.filter(is_default=True).first()
    form = FinalizeForm(request.POST or None, templates=templates, default=default)
    if request.method == "POST" and form.is_valid():
        try:
            invoice = actions.finalize_invoice(
                invoice, by=request.user, template=form.cleaned_data["template"]
            )
        except Invalid as exc:
            messages.error(request, refusal_text(exc))
            return redirect("billing:invoice_edit", pk=pk)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("billing:invoice", pk=pk)
        if invoice.kind == "credit_note":
            done = _("Credit note %(number)s finalized.")
        else:
            done = _("Invoice %(number)s finalized.")
        messages.success(request, done % {"number": invoice.number})
        if request.POST.get("then") == "send":
            return redirect(
                reverse("billing:send") + "?" + urlencode({"ids": invoice.pk, "mode": "send"})
            )
        return redirect(back_url(request, reverse("billing:invoices")))
    reason = why_not(request.user, invoice)["finalize"]
    if reason:
        messages.error(request, reason)
        return redirect("billing:invoice", pk=pk)
    template = "billing/_finalize_dialog.html" if request.htmx else "billing/finalize.html"
    # Where Cancel, × or Escape go back to when the dialog is a page of its own.
    back = back_url(request, reverse("billing:invoice", args=[pk]))
    return render(request, template, _context(request, invoice=invoice, form=form, back=back))


# --- PDF --------------------------------------------------------------------------------


def _pdf_name(invoice) -> str:
    return f"{invoice.number}.pdf" if invoice.number else f"draft-{invoice.pk}.pdf"


@login_required
@require_GET
@xframe_options_sameorigin  # View PDF shows it in a frame of this site
@csp_replace({"frame-ancestors": ["'self'"]})
def invoice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The PDF itself: inline, or as a download with ?download=1."""
    stored = stored_pdf(user=request.user, pk=pk)
    if stored is not None:  # the common case, in one query: a finalized invoice's bytes
        number, pdf = stored
        return _pdf_response(request, pdf, f"{number}.pdf", cacheable=True)
    invoice = get_invoice(request, pk)
    try:
        pdf = actions.pdf_for(invoice)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("billing:invoice", pk=pk)
    return _pdf_response(request, pdf, _pdf_name(invoice), cacheable=not invoice.is_draft)


def _pdf_response(request, pdf: bytes, filename: str, *, cacheable: bool) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    disposition = "attachment" if request.GET.get("download") else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["Cache-Control"] = "private" if cacheable else "private, max-age=0"
    return response


@login_required
@require_GET
def invoice_pdf_view(request: HttpRequest, pk: int) -> HttpResponse:
    """View PDF: the PDF in the page, with download and print."""
    invoice = get_invoice(request, pk)
    return render(request, "billing/pdf_view.html", _context(request, invoice=invoice))


@login_required
@require_GET
def invoice_xml(request: HttpRequest, pk: int, syntax: str = "cii") -> HttpResponse:
    """The e-invoice XML alone: CII (the same bytes the Factur-X PDF carries) or UBL 2.1."""
    invoice = get_invoice(request, pk)
    if invoice.is_draft or not invoice.snapshot.get("einvoice"):
        raise Http404(_("Only finalized e-invoices have an XML."))
    suffix = "ubl" if syntax == "ubl" else "factur-x"
    response = HttpResponse(
        actions.einvoice_xml(invoice, "ubl" if syntax == "ubl" else "cii"),
        content_type="application/xml",
    )
    response["Content-Disposition"] = f'attachment; filename="{invoice.number}-{suffix}.xml"'
    return response
