"""The e-mail dialog: bulk send of never-sent invoices, or a resend of one."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_htmx.http import HttpResponseClientRedirect

from facturier.core.errors import DomainError, Invalid
from facturier.invoicing import permissions as invoice_permissions
from facturier.invoicing.actions import send_invoices
from facturier.invoicing.emails import (
    check_placeholders,
    default_message,
    default_subject,
    recipients_for,
    resolve,
)
from facturier.invoicing.models import EmailDelivery
from facturier.invoicing.permissions import visible_invoices, was_sent
from facturier.invoicing.selectors import pending_invoice_ids
from facturier.outbox.backends import eml_path
from facturier.web.einvoicing import deposited_ids

from .common import back_url, confirmation, ids_from, section
from .once import once

# Each language named in itself, as a person looks for it in a list.
LANGUAGE_NAMES = [("fr", "français"), ("en", "English")]


def _selected(request, source):
    ids = ids_from(source.getlist("ids"))
    invoices = list(
        visible_invoices(request.user)
        .filter(pk__in=ids)
        .select_related("client", "firm")
        .prefetch_related("client__contacts")
    )
    if len(invoices) != len(set(ids)) or not invoices:
        raise Http404(_("No such invoice."))
    return invoices


@login_required
@once
def send_dialog(request: HttpRequest) -> HttpResponse:
    source = request.POST if request.method == "POST" else request.GET
    invoices = _selected(request, source)
    resend = source.get("mode") == "resend"
    single = len(invoices) == 1
    language = _language(request, source, invoices)
    data = _typed(source, invoices, language)
    errors: dict[str, list[str]] = {}
    back = back_url(request, reverse("billing:invoices"))
    if request.method == "POST":
        try:
            deliveries = send_invoices(
                invoices,
                by=request.user,
                subject=data["subject"],
                message=data["message"],
                to=[data["to"]] if single else None,
                cc=[data["cc"]],
                resend=resend,
                language=language,
            )
        except Invalid as exc:
            errors = exc.errors
        except DomainError as exc:
            errors = {"general": [exc.message]}
        else:
            _confirm_sent([d.invoice for d in deliveries], request)
            # The dialog posts with htmx: have the browser itself go to the list.
            return HttpResponseClientRedirect(back) if request.htmx else redirect(back)
    lack = None if request.method == "POST" else _lack(request.user, invoices)
    if lack is not None:  # said before anything is typed, not after
        errors = {"general": [lack.message]}
    previews, errors = _previews(invoices, data, language, errors)
    carried = deposited_ids([i.pk for i in invoices])
    context = section(
        "billing",
        "invoices",
        invoices=invoices,
        data=data,
        errors=errors,
        previews=previews,
        single=single,
        resend=resend,
        blocked=[] if resend else [p["invoice"] for p in previews if p["already_sent"]],
        refused=lack is not None,
        next=back,
        ids=[i.pk for i in invoices],
        # Those the platform carries (French e-invoicing): the e-mail is a courtesy copy.
        via_platform=[i.number for i in invoices if i.pk in carried],
        languages=LANGUAGE_NAMES,
        language=language,
        language_name=str(dict(settings.LANGUAGES)[language]).lower(),
        language_differs=language != request.LANGUAGE_CODE,
    )
    template = "billing/_send_dialog.html" if request.htmx else "billing/send.html"
    return render(request, template, context, status=422 if errors else 200)


def _lack(user, invoices):
    """The refusal of a user without the right to send one of these invoices, if any."""
    needs = invoice_permissions.RULES["send"].needs
    for invoice in invoices:
        lack = invoice_permissions.lacking(user, invoice.client_id, needs)
        if lack is not None:
            return lack
    return None


def _language(request, source, invoices) -> str:
    """The language chosen; else the client's for one invoice, the user's for several."""
    chosen = source.get("language", "")
    if chosen in dict(LANGUAGE_NAMES):
        return chosen
    return invoices[0].client.language if len(invoices) == 1 else request.LANGUAGE_CODE


def _typed(source, invoices, language: str) -> dict[str, str]:
    """The dialog's fields as typed, or their defaults."""
    single = len(invoices) == 1
    # Credit notes alone get their own words; a mix is spoken of as invoices.
    kinds = {"deposit" if invoice.deposit else invoice.kind for invoice in invoices}
    kind = kinds.pop() if len(kinds) == 1 else "invoice"
    return {
        "to": source.get("to", ", ".join(recipients_for(invoices[0])) if single else ""),
        "cc": source.get("cc", ""),
        "subject": source.get("subject", default_subject(language, kind)),
        "message": source.get("message", default_message(language, kind)),
    }


def _confirm_sent(invoices_sent, request) -> None:
    messages.success(
        request,
        confirmation(
            invoices_sent,
            _("Invoice %(number)s is being sent."),
            ngettext(
                "%(count)d invoice is being sent.",
                "%(count)d invoices are being sent.",
                len(invoices_sent),
            ),
        ),
    )


def _previews(invoices, data, language: str, errors: dict) -> tuple[list[dict], dict]:
    """Each invoice's e-mail as it would leave, and the errors with the placeholders'."""
    single = len(invoices) == 1
    previews = []
    pending = pending_invoice_ids(invoices)
    for invoice in invoices:
        try:
            check_placeholders(data["subject"], "subject")
            check_placeholders(data["message"], "message")
            subject = resolve(data["subject"], invoice, language)
            body = resolve(data["message"], invoice, language)
        except Invalid as exc:
            errors = {**exc.errors, **errors}
            subject = body = ""
        previews.append(
            {
                "invoice": invoice,
                "to": [data["to"]] if single and data["to"] else recipients_for(invoice),
                "subject": subject,
                "body": body,
                "already_sent": was_sent(invoice, pending=invoice.pk in pending),
            }
        )
    return previews, errors


@login_required
def delivery_file(request: HttpRequest, pk: int) -> HttpResponse:
    """The .eml the embedded default wrote for a delivery (file mail backend only)."""
    delivery = EmailDelivery.objects.filter(
        pk=pk, invoice__in=visible_invoices(request.user)
    ).first()
    if delivery is None:
        raise Http404
    path = eml_path(delivery.message_id)
    if not path.exists():
        raise Http404
    return FileResponse(
        path.open("rb"),
        content_type="message/rfc822",
        as_attachment=True,
        filename=f"{delivery.invoice.number}-{delivery.pk}.eml",
    )
