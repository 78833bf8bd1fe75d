"""E-invoicing in the web UI: the firm's platform (Settings), and what the platform
said of an invoice (its page)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from facturier.clients.permissions import can_process, visible_clients
from facturier.core.errors import DomainError, Invalid
from facturier.einvoicing import actions, directory, webhook
from facturier.einvoicing.models import NEEDS_ACTION, Platform, Transmission
from facturier.outbox.models import DeliveryStatus
from facturier.outbox.retrying import queue_states

from . import stepup
from .common import section
from .fields import DayField
from .settings import _context


class PlatformForm(forms.ModelForm):
    base_url = forms.URLField(
        label=_("platform address"),
        assume_scheme="https",
        max_length=200,
        help_text=_("The Flow Service's address, e.g. https://api.flow.example/flow-service"),
    )
    token_url = forms.URLField(
        label=_("token address"),
        assume_scheme="https",
        max_length=200,
        help_text=_("Where access tokens are asked for (OAuth 2)"),
    )
    client_secret = forms.CharField(
        label=_("client secret"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Left empty: the one already stored is kept."),
    )
    reports_from = DayField(
        label=_("e-reporting from"),
        required=False,
        help_text=_("The first day whose sales and payments are e-reported; empty: none."),
    )

    class Meta:
        model = Platform
        fields = list(actions.PLATFORM_FIELDS)


def platform_settings(request: HttpRequest) -> HttpResponse:
    platform = Platform.objects.filter(firm_id=request.user.firm_id).first()
    stored = Platform.objects.filter(pk=platform.pk).first() if platform else None
    form = PlatformForm(request.POST or None, instance=platform or Platform())
    status, step_up = 200, stepup.refusal(request)
    if request.method == "POST":
        if form.is_valid():
            step_up = stepup.refused_change(
                request,
                stored,
                form.cleaned_data,
                actions.CREDENTIAL_FIELDS,
                kept_when_empty=("client_secret",),
            )
            if step_up is None:
                saved = _save_platform(request, form)
                if saved:
                    return redirect("settings:einvoicing")
        status = 403 if step_up and step_up.get("refused") else 422
    return render(
        request,
        "settings/einvoicing.html",
        _context(
            form=form,
            platform=platform,
            tab="einvoicing",
            state=next(s for s in queue_states(request.user) if s.code == "platform"),
            can_retry=can_process(request.user),
            webhook_url=_webhook_url(request, platform),
            step_up=step_up,
        ),
        status=status,
    )


def _save_platform(request: HttpRequest, form: PlatformForm) -> bool:
    try:
        actions.save_platform(request.user.firm, by=request.user, fields=form.cleaned_data)
    except Invalid as exc:
        for field, errors in exc.errors.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
        return False
    messages.success(request, _("E-invoicing platform saved."))
    return True


def _webhook_url(request: HttpRequest, platform: Platform | None) -> str:
    if platform is None:
        return ""
    path = reverse("api-einvoicing-webhook", kwargs={"key": platform.webhook_key})
    return request.build_absolute_uri(path)


@require_POST
def change_webhook(request: HttpRequest) -> HttpResponse:
    platform = Platform.objects.filter(firm_id=request.user.firm_id).first()
    if platform is None:
        raise Http404
    try:
        webhook.change_webhook_key(platform, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("New address for the platform's calls: give it to your platform.")
        )
    return redirect("settings:einvoicing")


def with_platform_status(invoices, wanted: str | None):
    """The Invoices tab's e-invoicing filter: the invoices whose latest platform status
    is `wanted`, or ("action") those refused or rejected."""
    if not wanted:
        return invoices
    codes = sorted(NEEDS_ACTION) if wanted == "action" else [wanted]
    deposited = Transmission.objects.filter(
        document=Transmission.Document.INVOICE, last_status__in=codes
    ).values("invoice_id")
    return invoices.filter(pk__in=deposited)


def deposited_ids(invoice_ids: list[int]) -> set[int]:
    """Those of the invoices the platform carries (queued or deposited, not failed)."""
    return set(
        Transmission.objects.filter(
            invoice_id__in=invoice_ids, document=Transmission.Document.INVOICE
        )
        .exclude(status=DeliveryStatus.FAILED)
        .values_list("invoice_id", flat=True)
    )


def invoice_transmissions(invoice) -> list[dict]:
    """The invoice's transmissions with their statuses, for its page."""
    rows = []
    for transmission in (
        Transmission.objects.filter(invoice=invoice).prefetch_related("statuses").order_by("id")
    ):
        statuses = list(transmission.statuses.all())
        rows.append(
            {
                "transmission": transmission,
                "statuses": statuses,
                "needs_action": bool(statuses) and statuses[-1].code in NEEDS_ACTION,
            }
        )
    return rows


@login_required
@require_GET
def client_directory(request: HttpRequest, pk: int) -> HttpResponse:
    """Check in the directory: the routing lines of a client's SIREN (and SIRET), each
    usable or not, read from the firm's platform (annex B), beside the address the
    client's invoices go to."""
    client = visible_clients(request.user).filter(pk=pk).first()
    if client is None:
        raise Http404(_("No such client."))
    siren, lines, error = "", [], ""
    try:
        siren, _siret, lines = directory.lookup(
            firm_id=client.firm_id, company_id=client.company_id, country=client.country
        )
    except DomainError as exc:
        error = exc.message
    address = client.einvoice_address or (f"{directory.SIREN_SCHEME}:{siren}" if siren else "")
    usable = {line.electronic_address for line in lines if line.valid}
    return render(
        request,
        "billing/client_directory.html",
        section(
            "billing",
            "invoices",
            client=client,
            siren=siren,
            lines=lines,
            error=error,
            address=address,
            address_usable=address in usable,
            checked_at=timezone.now(),
        ),
    )
