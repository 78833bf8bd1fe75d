"""The client's direct-debit mandates: read one (its PDF), sign it online."""

import hashlib

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from facturier.core.errors import DomainError, Invalid

from . import actions, selectors
from .documents import mandate_pdf
from .errors import CreditorUnknown
from .forms import AcceptForm
from .session import contact_required
from .throttle import client_ip
from .views import _context, _download


def _mandate(request, pk: int):
    mandate = selectors.mandate(client=request.client, pk=pk)
    if mandate is None:
        raise Http404(_("No such mandate."))
    return mandate


def _shown_pdf(request, mandate, sepa=None) -> bytes:
    sepa = sepa or selectors.sepa_of(mandate.firm_id)
    return mandate_pdf(mandate, sepa=sepa, language=actions.contact_language(request.contact))


def accept_with(request, form, accept, target) -> tuple[str, str]:
    """Call the accepting action with the form's name, box and SHA-256 and the request's
    address and browser: its field errors put on the form, its refusal returned."""
    try:
        accept(
            target,
            contact=request.contact,
            signer_name=form.cleaned_data["signer_name"],
            accepted=form.cleaned_data["accepted"],
            shown_sha256=form.cleaned_data["document_sha256"],
            ip=client_ip(request),
            user_agent=request.headers.get("User-Agent", ""),
        )
    except Invalid as exc:
        for field, messages in exc.errors.items():
            for message in messages:
                form.add_error(field if field in form.fields else None, message)
    except DomainError as exc:
        return exc.message, exc.code
    return "", ""


def status_of(request, form, refusal: str) -> int:
    if refusal:
        return 409
    return 422 if request.method == "POST" and form.errors else 200


@contact_required
@require_GET
def mandates(request: HttpRequest) -> HttpResponse:
    rows = list(selectors.mandates(client=request.client))
    # Without the firm's ICS a pending mandate cannot be signed: the list does not
    # invite the client to sign it, its page says why.
    signable = selectors.names_its_creditor(selectors.sepa_of(request.client.firm_id))
    return render(
        request,
        "portal/mandates.html",
        _context(request, "mandates", mandates=rows, signable=signable),
    )


@contact_required
@require_http_methods(["GET", "POST"])
def mandate(request: HttpRequest, pk: int) -> HttpResponse:
    """The mandate and, while it awaits a signature, the form that signs it."""
    mandate = _mandate(request, pk)
    pending = mandate.status == mandate.Status.PENDING
    form = AcceptForm(request.POST or None)
    refusal = code = ""
    sepa = selectors.sepa_of(mandate.firm_id)
    unsignable = pending and not selectors.names_its_creditor(sepa)
    if unsignable:
        # Said before the client types a name, not after: nothing here can be signed.
        refusal, code = str(CreditorUnknown.default_message), CreditorUnknown.code
        pending = False
    if request.method == "POST" and pending and form.is_valid():
        refusal, code = accept_with(request, form, actions.accept_mandate, mandate)
        if not (refusal or form.errors):
            return redirect("portal:mandate", pk=mandate.pk)
    # The SHA-256 of the PDF as it reads now: what a signature from this page accepts.
    sha = hashlib.sha256(_shown_pdf(request, mandate, sepa)).hexdigest() if pending else ""
    status = 200 if unsignable and request.method == "GET" else status_of(request, form, refusal)
    return render(
        request,
        "portal/mandate.html",
        _context(
            request,
            "mandates",
            mandate=mandate,
            pending=pending,
            form=form,
            sha=sha,
            refusal=refusal,
            code=code,
            acceptance=selectors.acceptance_of(mandate),
        ),
        status=status,
    )


@contact_required
@require_GET
def mandate_pdf_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The mandate to read; once signed online, the signed PDF with its evidence page."""
    mandate = _mandate(request, pk)
    acceptance = selectors.acceptance_of(mandate)
    pdf = bytes(acceptance.signed_pdf) if acceptance is not None else _shown_pdf(request, mandate)
    name = _("mandate")
    response = _download(pdf, "application/pdf", f"{name}-{mandate.reference}.pdf")
    response["Content-Disposition"] = response["Content-Disposition"].replace(
        "attachment", "inline"
    )
    return response
