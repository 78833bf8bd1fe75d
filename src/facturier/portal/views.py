"""The client portal's pages: sign-in by e-mailed link, then what the contact's client
owes, its documents and their files, payments, statement of account and mandates. Every
id is looked up within the contact's client: another client's reads as none (404)."""

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from facturier.core.errors import DomainError, Invalid
from facturier.invoicing import actions as invoicing
from facturier.receivables import actions as receivables

from . import actions, selectors
from .forms import PeriodForm, SignInForm
from .session import COOKIE, clear_cookie, contact_required, set_cookie
from .throttle import client_ip, spend

PAGE_SIZE = 25


def _context(request, tab: str = "", **extra) -> dict:
    return {"contact": request.contact, "client": request.client, "tab": tab, **extra}


def _refusal(request, exc: DomainError, template: str = "portal/refused.html", **context):
    context |= {"refusal": exc.message, "code": exc.code}
    return render(request, template, context, status=exc.status)


@never_cache
@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    """Ask for a link: the answer reads the same whether the address is known or not."""
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        if not spend(request, email):
            return render(
                request,
                "portal/sign_in.html",
                {
                    "form": form,
                    "refusal": _("Too many sign-in links asked for: try again in 15 minutes."),
                    "code": "rate_limited",
                },
                status=429,
            )
        actions.request_sign_in_link(email=email, site=request.build_absolute_uri("/"))
        return render(request, "portal/link_sent.html", {"email": email})
    status = 422 if form.errors else 200
    return render(request, "portal/sign_in.html", {"form": form}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def open_link(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks to confirm (a mail scanner following the link spends nothing); POST
    spends the link on a portal session."""
    if request.method == "GET":
        try:
            actions.check_link(token)
        except DomainError as exc:
            return _refusal(request, exc)
        return render(request, "portal/open_link.html", {})
    try:
        _session, raw = actions.open_session(
            token,
            ip=client_ip(request),
            user_agent=request.headers.get("User-Agent", ""),
        )
    except DomainError as exc:
        return _refusal(request, exc)
    response = redirect("portal:home")
    set_cookie(response, raw)
    return response


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    actions.close_session(request.COOKIES.get(COOKIE, ""))
    response = redirect("portal:sign_in")
    clear_cookie(response)
    return response


@contact_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """What is owed: the totals, the open invoices (a page at a time, oldest due first)
    and the credit notes in the client's favour."""
    client = request.client
    page = Paginator(selectors.open_invoices(client=client), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "portal/home.html",
        _context(
            request,
            "home",
            page=page,
            totals=selectors.owed_totals(client=client),
            credit_notes=list(selectors.credit_notes_left(client=client)[:PAGE_SIZE]),
            today=timezone.localdate(),
        ),
    )


@contact_required
@require_GET
def documents(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.documents(client=request.client), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "portal/documents.html",
        _context(request, "documents", page=page, today=timezone.localdate()),
    )


def _document(request, pk: int):
    invoice = selectors.document(client=request.client, pk=pk)
    if invoice is None:
        raise Http404(_("No such document."))
    return invoice


@contact_required
@require_GET
def invoice(request: HttpRequest, pk: int) -> HttpResponse:
    """An issued document, and for an open invoice how to pay it by transfer."""
    document = _document(request, pk)
    actions.record_opened(document, contact=request.contact, opened="page")
    seller = (document.snapshot or {}).get("seller", {})
    payable = not document.is_credit_note and document.balance and document.balance > 0
    return render(
        request,
        "portal/invoice.html",
        _context(
            request,
            "documents",
            document=document,
            seller=seller,
            payable=payable,
            qr=payable and selectors.transfer_qr_svg(document) is not None,
            overdue=bool(
                payable and document.due_date and document.due_date < timezone.localdate()
            ),
        ),
    )


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@contact_required
@require_GET
def invoice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    document = _document(request, pk)
    pdf = invoicing.pdf_for(document)
    actions.record_opened(document, contact=request.contact, opened="pdf")
    return _download(pdf, "application/pdf", f"{document.number}.pdf")


@contact_required
@require_GET
def invoice_xml(request: HttpRequest, pk: int, syntax: str) -> HttpResponse:
    """The e-invoice: Factur-X's CII (the XML its PDF carries) or UBL 2.1."""
    document = _document(request, pk)
    if not (document.snapshot or {}).get("einvoice"):
        raise Http404(_("This document has no e-invoice."))
    xml = invoicing.einvoice_xml(document, "ubl" if syntax == "ubl" else "cii")
    actions.record_opened(
        document, contact=request.contact, opened="ubl" if syntax == "ubl" else "facturx"
    )
    suffix = "ubl" if syntax == "ubl" else "factur-x"
    return _download(xml, "application/xml", f"{document.number}-{suffix}.xml")


@contact_required
@require_GET
def invoice_qr(request: HttpRequest, pk: int) -> HttpResponse:
    """The EPC QR code of the transfer paying what the invoice still owes."""
    svg = selectors.transfer_qr_svg(_document(request, pk))
    if svg is None:
        raise Http404(_("This document is not paid by transfer."))
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Cache-Control"] = "private, no-store"
    return response


@contact_required
@require_GET
def payments(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.payments(client=request.client), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "portal/payments.html", _context(request, "payments", page=page))


def _period(request) -> tuple[PeriodForm, object]:
    """The period asked for (this year to date by default) and the statement over it, or
    None with the form's errors."""
    today = timezone.localdate()
    default = {"start": today.replace(month=1, day=1), "end": today}
    form = PeriodForm(request.GET if "start" in request.GET else default)
    if not form.is_valid():
        return form, None
    client = request.client
    currency = (form.cleaned_data.get("currency") or client.currency).upper()
    if currency not in selectors.currencies(client=client):
        currency = client.currency
    statement = selectors.statement(
        client=client,
        start=form.cleaned_data["start"],
        end=form.cleaned_data["end"],
        currency=currency,
    )
    return form, statement


@contact_required
@require_GET
def statement(request: HttpRequest) -> HttpResponse:
    form, statement = _period(request)
    return render(
        request,
        "portal/statement.html",
        _context(request, "statement", form=form, statement=statement),
        status=200 if statement is not None else 422,
    )


@contact_required
@require_GET
def statement_pdf(request: HttpRequest) -> HttpResponse:
    form, statement = _period(request)
    if statement is None:
        return _refusal(
            request, Invalid(form.errors), "portal/refused.html", contact=request.contact
        )
    pdf = receivables.statement_of_account_pdf(
        statement, language=request.LANGUAGE_CODE, day=timezone.localdate()
    )
    name = _("statement")
    return _download(pdf, "application/pdf", f"{name}-{statement.end.isoformat()}.pdf")
