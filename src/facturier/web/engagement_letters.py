"""The engagement letter on the engagement's page (made from a template, its PDF, sent,
its signed copy uploaded, marked active) and Settings → Letter templates."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from facturier.core.converters import row_id
from facturier.core.downloads import inline_disposition, uploaded_file
from facturier.core.errors import DomainError, Invalid, NotFound
from facturier.engagements import actions
from facturier.engagements import selectors as engagement_selectors
from facturier.engagements.letter_models import LETTER_LANGUAGES, MAX_BODY
from facturier.engagements.letter_texts import PLACEHOLDERS
from facturier.engagements.permissions import get_visible

from .common import refusal_text, refuse
from .engagement_forms import day_field


class LetterTemplateForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=80)
    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=LETTER_LANGUAGES)
    body = forms.CharField(
        label=gettext_lazy("Text"), max_length=MAX_BODY, widget=forms.Textarea(attrs={"rows": 16})
    )
    general_terms = forms.CharField(
        label=gettext_lazy("General terms"),
        max_length=MAX_BODY,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )


class SignedCopyForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Signed copy (PDF)"))
    signed_on = day_field(label=gettext_lazy("Signed on"), required=False)


def letter_context(request: HttpRequest, engagement, *, may_manage: bool, signed_form=None) -> dict:
    """What engagements/_letter.html reads (the engagement's page adds it; `signed_form`:
    the signed copy's form refused, with what was typed)."""
    letters = list(engagement_selectors.letters_of(engagement))
    current = next((row for row in letters if row.version == engagement.version), None)
    templates = list(engagement_selectors.letter_templates(firm_id=request.user.firm_id))
    return {
        "letters": letters,
        # The earlier versions' letters (and their signed copies) stay readable after
        # an amendment, before the new version has a letter too.
        "earlier_letters": [row for row in letters if row is not current],
        "current_letter": current,
        "letter_templates": templates,
        "letter_template_chosen": _proposed_template(engagement, current, templates),
        "signed_form": signed_form or SignedCopyForm(),
        "history": engagement_selectors.engagement_history(engagement),
        "may_manage_letter": may_manage,
        # Whom "Send the letter" e-mails, said beside the button (none: it cannot).
        "letter_recipient": engagement.client.billing_contact if may_manage else None,
    }


def _proposed_template(engagement, current, templates) -> int | None:
    """The template the letter is made with unless the user picks another: the current
    letter's, else the first in the client's language (a French client's letter in
    French, whatever the list's order)."""
    if current is not None and any(t.pk == current.template_id for t in templates):
        return current.template_id
    language = engagement.client.language
    return next((t.pk for t in templates if t.language == language), None)


def _back(engagement_id: int) -> HttpResponse:
    return redirect(reverse("billing:engagement", args=[engagement_id]) + "#letter")


def _letter(request: HttpRequest, pk: int):
    letter = engagement_selectors.visible_letter(user=request.user, pk=pk)
    if letter is None:
        raise Http404(_("No such engagement letter."))
    return letter


@login_required
@require_POST
def letter_create_view(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        engagement = get_visible(request.user, pk)
    except NotFound:
        raise Http404(_("No such engagement.")) from None
    try:
        actions.create_letter(
            engagement, by=request.user, template=row_id(request.POST.get("template"))
        )
        messages.success(request, _("Engagement letter made."))
    except DomainError as exc:
        messages.error(request, refusal_text(exc))
    return _back(engagement.pk)


@login_required
@require_GET
def letter_pdf_view(request: HttpRequest, pk: int) -> HttpResponse:
    letter = _letter(request, pk)
    response = HttpResponse(bytes(letter.pdf), content_type="application/pdf")
    response["Content-Disposition"] = inline_disposition(letter.filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def letter_signed_view(request: HttpRequest, pk: int) -> HttpResponse:
    letter = _letter(request, pk)
    if letter.signed_pdf is None:
        raise Http404(_("No signed copy."))
    name = letter.signed_filename or f"signed-{letter.filename}"
    return uploaded_file(bytes(letter.signed_pdf), "application/pdf", name)


def _step(request: HttpRequest, pk: int, step, done: str) -> HttpResponse:
    letter = _letter(request, pk)
    try:
        step(letter.pk, by=request.user)
        messages.success(request, done)
    except DomainError as exc:
        messages.error(request, refusal_text(exc))
    return _back(letter.engagement_id)


@login_required
@require_POST
def letter_send_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(request, pk, actions.send_letter, _("Engagement letter sent."))


@login_required
@require_POST
def letter_activate_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(request, pk, actions.activate_letter, _("Engagement letter active."))


@login_required
@require_POST
def letter_sign_view(request: HttpRequest, pk: int) -> HttpResponse:
    letter = _letter(request, pk)
    form = SignedCopyForm(request.POST, request.FILES)
    if not form.is_valid():
        return _sign_refused(request, letter, form)
    upload = form.cleaned_data["file"]
    try:
        actions.upload_signed_copy(
            letter.pk,
            by=request.user,
            content=upload.read(actions.MAX_SIGNED_COPY + 1),
            filename=upload.name,
            signed_on=form.cleaned_data["signed_on"],
        )
    except DomainError as exc:
        refuse(form, exc)
        return _sign_refused(request, letter, form)
    messages.success(request, _("Signed copy saved."))
    return _back(letter.engagement_id)


def _sign_refused(request: HttpRequest, letter, form: SignedCopyForm) -> HttpResponse:
    # Imported here: the engagement's page imports this module for its letter part.
    from .engagements import engagement_page

    try:
        engagement = get_visible(request.user, letter.engagement_id)
    except NotFound:
        raise Http404(_("No such engagement.")) from None
    return engagement_page(request, engagement, signed_form=form)


def letter_templates_view(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Settings → Letter templates: the list, and one template new or changed."""
    templates = engagement_selectors.letter_templates(firm_id=request.user.firm_id)
    editing = None if pk is None else templates.filter(pk=pk).first()
    if pk is not None and editing is None:
        raise Http404(_("No such letter template."))
    initial = {}
    if editing is not None:
        initial = {name: getattr(editing, name) for name in actions.TEMPLATE_FIELDS}
    form = LetterTemplateForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 422
        try:
            if request.POST.get("seed"):
                actions.seed_letter_templates(request.user.firm_id, by=request.user)
                return redirect("settings:letter_templates")
            if form.is_valid():
                saved = actions.save_letter_template(
                    editing, by=request.user, fields=form.cleaned_data
                )
                messages.success(request, _("Letter template %(name)s saved.") % {"name": saved})
                return redirect("settings:letter_templates")
        except Invalid as exc:
            for key, errors in exc.errors.items():
                for error in errors:
                    form.add_error(key if key in form.fields else None, error)
        except DomainError as exc:
            messages.error(request, refusal_text(exc))
    return render(
        request,
        "settings/letter_templates.html",
        {
            "section": "settings",
            "tab": "letter_templates",
            "form": form,
            "templates": templates,
            "editing": editing,
            "placeholders": PLACEHOLDERS,
        },
        status=status,
    )
