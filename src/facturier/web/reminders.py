"""Reminders and letters in the Billing app: "Send a reminder" for selected overdue
invoices, pausing a client's or an invoice's reminders, a letter's PDF, a client's
statement of account, and the firm's reminder levels in Settings."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from facturier.clients.permissions import visible_clients
from facturier.core.actions import unit_of_work
from facturier.core.errors import DomainError, Invalid
from facturier.invoicing.permissions import visible_invoices
from facturier.receivables import actions
from facturier.receivables.models import LedgerAccounts, ReminderLevel
from facturier.receivables.selectors import account_statement, reminder_preview, visible_letter

from .common import back_url, ids_from, refusal_text, section
from .fields import DayField
from .once import once
from .receivables import refused

LANGUAGE_CHOICES = [("", gettext_lazy("The client's")), ("fr", "Français"), ("en", "English")]


class ReminderForm(forms.Form):
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=250)
    message = forms.CharField(
        label=gettext_lazy("Message"), widget=forms.Textarea(attrs={"rows": 8})
    )
    language = forms.ChoiceField(
        label=gettext_lazy("Language of the letter"), choices=LANGUAGE_CHOICES, required=False
    )


@login_required
@require_http_methods(["GET", "POST"])
@once
def remind_dialog(request: HttpRequest) -> HttpResponse:
    """The reminder's dialog: the invoices and the level each one reaches, the e-mail's
    words (the level's, editable), then the letter goes to the outbox."""
    back = back_url(request, reverse("billing:invoices"))
    if (response := refused(request, back)) is not None:
        return response
    source = request.POST if request.method == "POST" else request.GET
    ids = ids_from(source.getlist("ids"))
    today = timezone.localdate()
    rows, _ranks = reminder_preview(user=request.user, ids=ids, today=today)
    if not rows:
        messages.error(request, _("Select overdue invoices of one client."))
        return redirect(back)
    client = rows[0][0].client
    subject, message = _top_level_texts(rows, client.language)
    form = ReminderForm(
        request.POST or None, initial={"subject": subject, "message": message, "language": ""}
    )
    blocked = any(reason is not None for *_row, reason in rows)
    if request.method == "POST" and not blocked and form.is_valid():
        try:
            letter = actions.send_reminder_now(
                ids,
                by=request.user,
                subject=form.cleaned_data["subject"],
                message=form.cleaned_data["message"],
                language=form.cleaned_data["language"] or None,
                today=today,
            )
        except Invalid as exc:
            for field, errors in exc.errors.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect(back)
        else:
            messages.success(
                request,
                _("Reminder queued for %(client)s: %(to)s.")
                % {"client": client.name, "to": ", ".join(letter.to)},
            )
            return redirect(back)
    return render(
        request,
        "billing/remind.html",
        section(
            "billing",
            "invoices",
            form=form,
            rows=rows,
            client=client,
            ids=[invoice.pk for invoice, *_rest in rows],
            blocked=blocked,
            next=back,
            today=today,
        ),
        # Here after a POST only when something was refused.
        status=422 if request.method == "POST" else 200,
    )


def _top_level_texts(rows, language: str) -> tuple[str, str]:
    """The subject and message of the highest level the invoices reach."""
    levels = [level for _invoice, level, _rank, _blocked in rows if level is not None]
    top = max(levels, key=lambda level: level.days) if levels else None
    return top.texts(language) if top else ("", "")


@login_required
@require_POST
def pause_view(request: HttpRequest) -> HttpResponse:
    """Pause or resume the reminders of a client (client=) or an invoice (invoice=)."""
    back = back_url(request, reverse("billing:invoices"))
    if (response := refused(request, back)) is not None:
        return response
    paused = request.POST.get("paused") == "1"
    reason = request.POST.get("reason", "").strip()
    target: object | None = None
    if invoice_ids := ids_from([request.POST.get("invoice", "")]):
        target = visible_invoices(request.user).filter(pk=invoice_ids[0]).first()
    elif client_ids := ids_from([request.POST.get("client", "")]):
        target = visible_clients(request.user).filter(pk=client_ids[0]).first()
    if target is None:
        raise Http404(_("No such invoice or client."))
    try:
        actions.set_pause(target, by=request.user, paused=paused, reason=reason)
    except DomainError as exc:
        messages.error(request, refusal_text(exc))
    else:
        if paused:
            messages.success(request, _("Reminders paused."))
        else:
            messages.success(request, _("Reminders resumed."))
    return redirect(back)


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def letter_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    letter = visible_letter(user=request.user, pk=pk)
    if letter is None:
        raise Http404(_("No such letter."))
    return _pdf(bytes(letter.pdf), letter.filename)


class StatementForm(forms.Form):
    start = DayField(
        label=gettext_lazy("From"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = DayField(
        label=gettext_lazy("To"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", _("The period must end on or after its first day."))
        elif start and end and (end - start).days > 3660:
            self.add_error("start", _("At most ten years at a time."))
        return data


@login_required
@require_http_methods(["GET", "POST"])
@once
def statement_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A client's statement of account: GET shows the PDF, POST e-mails it."""
    client = visible_clients(request.user).select_related("firm").filter(pk=pk).first()
    if client is None:
        raise Http404(_("No such client."))
    back = reverse("billing:client_account", args=[client.pk])
    form = StatementForm(request.POST if request.method == "POST" else request.GET)
    if not form.is_valid():
        messages.error(request, refusal_text(Invalid(form.errors)))
        return redirect(back)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    if request.method == "GET":
        statement = account_statement(client, client.currency, start, end, user=request.user)
        pdf = actions.statement_of_account_pdf(
            statement, language=client.language, day=timezone.localdate()
        )
        with translation.override(client.language):  # named in the PDF's language
            name = _("statement")
        return _pdf(pdf, f"{name}-{end.isoformat()}.pdf")
    try:
        letter = actions.send_statement_of_account(client, by=request.user, start=start, end=end)
    except DomainError as exc:
        messages.error(request, refusal_text(exc))
    else:
        messages.success(
            request, _("Statement of account queued for %(to)s.") % {"to": ", ".join(letter.to)}
        )
    return redirect(back)


# -- Settings ------------------------------------------------------------------------


class LevelForm(forms.Form):
    days = forms.IntegerField(
        label=gettext_lazy("Days after the due date"),
        min_value=-365,
        max_value=365,
        help_text=gettext_lazy("Negative: before the due date."),
    )
    subject_fr = forms.CharField(label=gettext_lazy("Subject (French)"), max_length=250)
    message_fr = forms.CharField(
        label=gettext_lazy("Message (French)"), widget=forms.Textarea(attrs={"rows": 4})
    )
    subject_en = forms.CharField(label=gettext_lazy("Subject (English)"), max_length=250)
    message_en = forms.CharField(
        label=gettext_lazy("Message (English)"), widget=forms.Textarea(attrs={"rows": 4})
    )
    attach_invoice = forms.BooleanField(
        label=gettext_lazy("Attach the invoice PDF"), required=False
    )


LevelFormSet = forms.formset_factory(LevelForm, extra=1, can_delete=True, max_num=20)


class LedgerForm(forms.ModelForm):
    class Meta:
        model = LedgerAccounts
        fields = [
            "sales_journal",
            "bank_journal",
            "client_account",
            "revenue_account",
            "vat_account",
            "bank_account",
            "exchange_loss_account",
            "exchange_gain_account",
            "fiscal_year_start",
        ]


def reminder_settings(request: HttpRequest) -> HttpResponse:
    from .settings import _context

    firm_id = request.user.firm_id
    initial = [
        {
            "days": level.days,
            "subject_fr": level.subject_fr,
            "message_fr": level.message_fr,
            "subject_en": level.subject_en,
            "message_en": level.message_en,
            "attach_invoice": level.attach_invoice,
        }
        for level in ReminderLevel.objects.filter(firm_id=firm_id).order_by("days")
    ] or actions.default_levels()
    data = request.POST or None
    formset = LevelFormSet(data, initial=initial, prefix="levels")
    ledger = LedgerAccounts.objects.filter(firm_id=firm_id).first() or LedgerAccounts(
        firm_id=firm_id
    )
    ledger_form = LedgerForm(data, instance=ledger, prefix="ledger")
    status = 200
    if request.method == "POST":
        if formset.is_valid() and ledger_form.is_valid():
            levels = [
                form.cleaned_data
                for form in formset.forms
                if form.cleaned_data and not form.cleaned_data.get("DELETE")
            ]
            try:
                with unit_of_work():
                    actions.save_levels(firm_id, by=request.user, levels=levels)
                    actions.save_ledger(firm_id, by=request.user, fields=ledger_form.cleaned_data)
            except Invalid as exc:
                for field, errors in exc.errors.items():
                    for error in errors:
                        ledger_form.add_error(field if field in ledger_form.fields else None, error)
            else:
                messages.success(request, _("Reminders and accounts saved."))
                return redirect("settings:reminders")
        status = 422
    return render(
        request,
        "settings/reminders.html",
        _context(formset=formset, ledger_form=ledger_form, tab="reminders"),
        status=status,
    )
