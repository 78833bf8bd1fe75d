"""Settings: invoice templates (with a live preview) and the firm's invoicing defaults.

For users with the settings right (invoicing.manage_templates).
"""

import base64

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from facturier.clients.permissions import can_process
from facturier.core.actions import unit_of_work
from facturier.core.converters import row_id
from facturier.core.errors import DomainError, Invalid
from facturier.firms import actions as firm_actions
from facturier.firms.models import Firm
from facturier.invoicing import actions as invoicing_actions
from facturier.invoicing import documents
from facturier.invoicing.models import InvoiceTemplate, Series
from facturier.invoicing.numbering import sequence_for
from facturier.outbox.retrying import queue_states

from .settings_forms import FirmSettingsForm, NumberingForm, TemplateForm


def manager_only(view):
    def wrapped(request, *args, **kwargs):
        if not invoicing_actions.can_manage_templates(request.user):
            messages.error(request, _("You need the right to manage invoicing settings."))
            return redirect("billing:invoices")
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    return login_required(wrapped)


def _context(**extra):
    return {"section": "settings", **extra}


@manager_only
def template_list(request: HttpRequest) -> HttpResponse:
    templates = InvoiceTemplate.objects.filter(firm_id=request.user.firm_id).order_by(
        "archived_at", "-is_default", "name"
    )
    return render(
        request, "settings/template_list.html", _context(templates=templates, tab="templates")
    )


def _template_or_404(request, pk):
    try:
        return invoicing_actions.get_template(request.user, pk)
    except DomainError:
        raise Http404 from None


@manager_only
def template_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    template = _template_or_404(request, pk) if pk else None
    form = TemplateForm(request.POST or None, request.FILES or None, instance=template)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data.get("logo_file")
            try:
                saved = invoicing_actions.save_template(
                    by=request.user,
                    template=template,
                    fields=form.model_fields(),
                    logo=upload.read() if upload else None,
                    remove_logo=form.cleaned_data.get("remove_logo", False),
                )
            except Invalid as exc:
                for field, errors in exc.errors.items():
                    target = "logo_file" if field == "logo" else field
                    for error in errors:
                        form.add_error(target if target in form.fields else None, error)
            else:
                messages.success(request, _("Template “%(name)s” saved.") % {"name": saved.name})
                return redirect("settings:template", pk=saved.pk)
        status = 422
    preview = _preview_data_uri(request, template or InvoiceTemplate(firm=request.user.firm))
    return render(
        request,
        "settings/template_form.html",
        _context(form=form, template=template, preview=preview, tab="templates"),
        status=status,
    )


def _preview_data_uri(request, template: InvoiceTemplate) -> str:
    snapshot = invoicing_actions.sample_snapshot(
        request.user.firm, template, language=request.LANGUAGE_CODE
    )
    try:
        png = documents.render_preview_png(snapshot, ppi=72)
    except DomainError:
        return ""
    return "data:image/png;base64," + base64.b64encode(png).decode()


@manager_only
@require_POST
def template_preview(request: HttpRequest) -> HttpResponse:
    """The live preview: the form as it stands, on sample data, as an image."""
    pk = request.POST.get("template_id")
    template = _template_or_404(request, row_id(pk)) if row_id(pk) else None
    base = template or InvoiceTemplate(firm=request.user.firm)
    form = TemplateForm(request.POST, instance=base)
    form.is_valid()  # fields that are valid apply; the others keep their saved value
    for name in TemplateForm.Meta.fields:
        if name in form.cleaned_data and name not in form.errors:
            setattr(base, name, form.cleaned_data[name])
    if request.POST.get("remove_logo"):
        base.logo = None
    return render(request, "settings/_preview.html", {"preview": _preview_data_uri(request, base)})


@manager_only
@require_POST
def template_set_default(request: HttpRequest, pk: int) -> HttpResponse:
    template = _template_or_404(request, pk)
    try:
        invoicing_actions.set_default_template(template, by=request.user)
        messages.success(
            request, _("“%(name)s” is now the default template.") % {"name": template.name}
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("settings:templates")


@manager_only
@require_POST
def template_archive(request: HttpRequest, pk: int) -> HttpResponse:
    template = _template_or_404(request, pk)
    archive = request.POST.get("archive", "1") == "1"
    try:
        invoicing_actions.archive_template(template, by=request.user, archived=archive)
    except Invalid as exc:
        messages.error(request, " ".join(m for ms in exc.errors.values() for m in ms))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            (_("“%(name)s” archived.") if archive else _("“%(name)s” restored."))
            % {"name": template.name},
        )
    return redirect("settings:templates")


@manager_only
def firm_settings(request: HttpRequest) -> HttpResponse:
    # Forms work on copies: a refused change leaves nothing behind on request.user.firm.
    firm = Firm.objects.get(pk=request.user.firm_id)
    sequence = sequence_for(firm)
    credit_sequence = sequence_for(firm, Series.CREDIT_NOTES)
    firm_form = FirmSettingsForm(request.POST or None, instance=firm, prefix="firm")
    numbering_form = NumberingForm(request.POST or None, instance=sequence, prefix="numbering")
    credit_form = NumberingForm(
        request.POST or None, instance=credit_sequence, prefix="credit_numbering"
    )
    forms = (firm_form, numbering_form, credit_form)
    status = 200
    if request.method == "POST":
        if all(form.is_valid() for form in forms):
            target = firm_form  # the form whose action is running, for its errors
            try:
                with unit_of_work():  # every part of the page, or none
                    firm_actions.update_firm_settings(
                        firm.pk, by=request.user, fields=firm_form.cleaned_data
                    )
                    target = numbering_form
                    invoicing_actions.update_numbering(
                        by=request.user, fields=numbering_form.cleaned_data
                    )
                    target = credit_form
                    invoicing_actions.update_numbering(
                        by=request.user,
                        fields=credit_form.cleaned_data,
                        series=Series.CREDIT_NOTES,
                    )
            except Invalid as exc:
                for field, errors in exc.errors.items():
                    for error in errors:
                        target.add_error(field if field in target.fields else None, error)
            else:
                messages.success(request, _("Invoicing settings saved."))
                return redirect("settings:firm")
        status = 422
    return render(
        request,
        "settings/firm.html",
        _context(
            firm_form=firm_form,
            numbering_form=numbering_form,
            credit_form=credit_form,
            tab="firm",
            # What holds the mail queues (their server is set by EMAIL_URL, not here).
            mail_states=[
                state
                for state in queue_states(request.user)
                if state.code != "platform" and state.needs_attention
            ],
            can_retry=can_process(request.user),
            example=None if status != 200 else sequence.format(sequence.next_number, year=2026),
            credit_example=None
            if status != 200
            else credit_sequence.format(credit_sequence.next_number, year=2026),
        ),
        status=status,
    )


@manager_only
def template_logo(request: HttpRequest, pk: int) -> HttpResponse:
    template = _template_or_404(request, pk)
    if not template.logo:
        raise Http404
    response = HttpResponse(bytes(template.logo), content_type=template.logo_content_type)
    # Shown by <img> on the template pages; opened on its own it runs nothing.
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "attachment; filename=logo"
    return response
