"""SEPA direct debit in the browser: the creditor settings (Settings), a client's
mandates (from its account page), an invoice's debit (from its page) and the Direct
debits tab of Billing with the batch export."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from facturier.clients.permissions import can_process, visible_clients
from facturier.core import reading
from facturier.core.errors import DomainError, Invalid
from facturier.core.formatting import for_reader
from facturier.core.identifiers import clean_bic, clean_iban
from facturier.receivables import actions
from facturier.receivables.models import Debit, Mandate, SepaSettings
from facturier.receivables.selectors import (
    client_mandates,
    debit_batches,
    firm_debits,
    sepa_settings,
)

from . import stepup
from .common import back_url, refusal_text, section
from .fields import DayField


class SepaSettingsForm(forms.ModelForm):
    class Meta:
        model = SepaSettings
        fields = [
            "creditor_id",
            "iban",
            "bic",
            "prenotification_days",
            "scheme",
            "pain_version",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pain_version"].required = False  # left out: the version kept

    def clean_pain_version(self):
        return self.cleaned_data.get("pain_version") or self.instance.pain_version


class MandateForm(forms.ModelForm):
    signed_on = DayField(label=Mandate._meta.get_field("signed_on").verbose_name, required=False)

    class Meta:
        model = Mandate
        fields = [
            "reference",
            "debtor_name",
            "iban",
            "bic",
            "signed_on",
            "signed_at",
            "recurrent",
            "scheme",
        ]

    def _post_clean(self):
        """The action checks the mandate (and its reference's uniqueness) itself."""

    # Checked here too, as the action checks them: a date refused by the form would
    # otherwise hide a wrong IBAN until the next submit.
    def clean_iban(self):
        return clean_iban(self.cleaned_data["iban"])

    def clean_bic(self):
        return clean_bic(self.cleaned_data["bic"])


def _show_refusal(form: forms.Form, exc: DomainError) -> None:
    if isinstance(exc, Invalid) and exc.errors:
        for field, errors in exc.errors.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
    else:
        form.add_error(None, exc.message)


def sepa_settings_view(request: HttpRequest) -> HttpResponse:
    """Settings → Direct debit (the settings right, checked by the URL's wrapper)."""
    from .settings import _context

    instance = sepa_settings(firm_id=request.user.firm_id)
    stored = SepaSettings.objects.filter(pk=instance.pk).first() if instance.pk else None
    form = SepaSettingsForm(request.POST or None, instance=instance)
    status, step_up = 200, stepup.refusal(request)
    if request.method == "POST":
        if form.is_valid():
            step_up = stepup.refused_change(
                request, stored, form.cleaned_data, actions.SENSITIVE_SETTINGS_FIELDS
            )
            if step_up is None and _save_sepa(request, form):
                return redirect("settings:sepa")
        status = 403 if step_up and step_up.get("refused") else 422
    return render(
        request,
        "settings/sepa.html",
        _context(form=form, tab="sepa", step_up=step_up),
        status=status,
    )


def _save_sepa(request: HttpRequest, form: SepaSettingsForm) -> bool:
    try:
        actions.save_sepa_settings(request.user.firm_id, by=request.user, fields=form.cleaned_data)
    except DomainError as exc:
        _show_refusal(form, exc)
        return False
    messages.success(request, _("Direct-debit settings saved."))
    return True


def _client(request: HttpRequest, pk: int):
    client = visible_clients(request.user).filter(pk=pk).first()
    if client is None:
        raise Http404(_("No such client."))
    return client


@login_required
def mandate_new(request: HttpRequest, pk: int) -> HttpResponse:
    """A client's new mandate, signed on paper (a signature date) or to be signed."""
    client = _client(request, pk)
    allowed = can_process(request.user)
    sepa = sepa_settings(firm_id=client.firm_id)
    scheme = sepa.scheme
    form = MandateForm(request.POST or None, initial={"debtor_name": client.name, "scheme": scheme})
    status = 200 if allowed else 403
    if request.method == "POST" and allowed:
        if form.is_valid():
            try:
                mandate = actions.create_mandate(client, by=request.user, fields=form.cleaned_data)
            except DomainError as exc:
                _show_refusal(form, exc)
            else:
                messages.success(
                    request, _("Mandate %(reference)s saved.") % {"reference": mandate.reference}
                )
                return redirect("billing:client_account", pk=client.pk)
        status = 422
    return render(
        request,
        "billing/mandate_form.html",
        section(
            "billing",
            "clients",
            client=client,
            form=form,
            allowed=allowed,
            creditor_known=bool(sepa.creditor_id),
        ),
        status=status,
    )


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=Mandate.Status.choices)
    signed_on = DayField(required=False)


@login_required
@require_POST
def mandate_status(request: HttpRequest, pk: int) -> HttpResponse:
    mandate = Mandate.objects.filter(
        pk=pk, firm_id=request.user.firm_id, client__in=visible_clients(request.user)
    ).first()
    if mandate is None:
        raise Http404(_("No such mandate."))
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a status and a valid date."))
    else:
        try:
            actions.set_mandate_status(
                mandate,
                by=request.user,
                status=form.cleaned_data["status"],
                signed_on=form.cleaned_data["signed_on"],
            )
        except DomainError as exc:
            messages.error(request, refusal_text(exc))
        else:
            messages.success(
                request,
                _("Mandate %(reference)s is now %(status)s.")
                % {
                    "reference": mandate.reference,
                    "status": str(Mandate.Status(form.cleaned_data["status"]).label).lower(),
                },
            )
    return redirect(back_url(request, f"/billing/clients/{mandate.client_id}/"))


@login_required
@require_POST
def invoice_debit(request: HttpRequest, pk: int) -> HttpResponse:
    """Schedule the invoice's balance for debit at its due date."""
    typed = request.POST.get("amount", "").strip()
    # "95,50" as a French person types it; what cannot be read goes on to be refused.
    amount = (reading.decimal(typed) or typed) if typed else None
    try:
        debit = actions.schedule_debit(pk, by=request.user, amount=amount)
    except DomainError as exc:
        messages.error(request, refusal_text(exc))
    else:
        messages.success(
            request,
            _("Debit scheduled for %(day)s.") % {"day": for_reader().date(debit.due_date)},
        )
    return redirect("billing:invoice", pk=pk)


@login_required
@require_GET
def debits_view(request: HttpRequest) -> HttpResponse:
    """Billing → Direct debits: what is scheduled, what was sent, and the batches."""
    allowed = can_process(request.user)
    return render(
        request,
        "billing/debits.html",
        section(
            "billing",
            "debits",
            allowed=allowed,
            scheduled=list(firm_debits(user=request.user, status=Debit.Status.SCHEDULED)),
            sent=list(firm_debits(user=request.user, status=Debit.Status.SENT)[:100]),
            settled=list(firm_debits(user=request.user, status=Debit.Status.SETTLED)[:100]),
            returned=list(firm_debits(user=request.user, status=Debit.Status.RETURNED)[:100]),
            batches=list(debit_batches(user=request.user)[:20]),
            settings_ready=sepa_settings(firm_id=request.user.firm_id).complete,
        ),
        status=200 if allowed else 403,
    )


@login_required
@require_POST
def debits_export(request: HttpRequest) -> HttpResponse:
    try:
        batch = actions.export_debit_batch(by=request.user)
    except DomainError as exc:
        messages.error(request, refusal_text(exc))
    else:
        text = ngettext(
            "Batch %(id)s exported: %(count)s debit. Download it below for the bank.",
            "Batch %(id)s exported: %(count)s debits. Download it below for the bank.",
            batch.count,
        )
        messages.success(request, text % {"id": batch.message_id, "count": batch.count})
    return redirect("billing:debits")


@login_required
@require_GET
def batch_file(request: HttpRequest, pk: int) -> HttpResponse:
    batch = debit_batches(user=request.user).defer(None).filter(pk=pk).first()
    if batch is None:
        raise Http404(_("No such batch."))
    response = HttpResponse(bytes(batch.xml), content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="pain008-{batch.message_id}.xml"'
    return response


def mandate_rows(client_id: int) -> list:
    """A client's mandates as its account page lists them: the status a person reads
    (expired computed) and the moves the mandate allows, labelled."""
    today = timezone.localdate()
    rows = []
    for mandate in client_mandates(client_id=client_id):
        status = mandate.current_status(today)
        mandate.moves = [
            (value, label)
            for value, label, sources in _moves()
            if mandate.status in sources and status != Mandate.Status.EXPIRED
        ]
        rows.append((mandate, status, mandate.current_status_label(today)))
    return rows


def _moves():
    status = Mandate.Status
    return [
        (status.ACTIVE, _("Mark as signed"), {status.PENDING}),
        (status.ACTIVE, _("Resume"), {status.SUSPENDED}),
        (status.SUSPENDED, _("Suspend"), {status.ACTIVE}),
        (status.REVOKED, _("Revoke"), {status.PENDING, status.ACTIVE, status.SUSPENDED}),
    ]
