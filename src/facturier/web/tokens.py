"""Settings → API tokens: each user creates and revokes their own."""

import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from facturier.access import usage
from facturier.access.actions import issue_token, revoke_token
from facturier.access.models import ApiToken, TokenScope
from facturier.core.errors import Invalid, NotFound

from .common import section
from .fields import DayField


class TokenForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    scope = forms.ChoiceField(
        label=gettext_lazy("Scope"),
        choices=TokenScope.choices,
        initial=TokenScope.WRITE,
        required=False,  # not given: read and write, as before scopes
    )
    expires_on = DayField(
        label=gettext_lazy("Last day of use"),
        required=False,
        help_text=gettext_lazy("Empty: never expires."),
    )

    def expires_at(self) -> datetime.datetime | None:
        """The token works through its last day, until midnight where the firm is."""
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        midnight = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time())
        return timezone.make_aware(midnight)


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    created = None
    status = 200
    tokens = list(ApiToken.objects.filter(user=request.user))
    used = usage.last_used(tokens)
    for token in tokens:
        token.last_used = used.get(token.pk)
    form = TokenForm(request.POST or None)
    if request.method == "POST":
        try:
            if not form.is_valid():
                raise Invalid(form.errors)
            token, created = issue_token(
                by=request.user,
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"] or TokenScope.WRITE,
                expires_at=form.expires_at(),
            )
            token.last_used = None
            tokens.insert(0, token)
            form = TokenForm()
        except Invalid as exc:
            messages.error(request, " ".join(m for ms in exc.errors.values() for m in ms))
            status = 422
    return render(
        request,
        "settings/tokens.html",
        section(
            "settings",
            "tokens",
            created=created,
            tokens=tokens,
            form=form,
            now=timezone.now(),
        ),
        status=status,
    )


@login_required
@require_POST
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        token = revoke_token(pk, by=request.user)
    except NotFound:
        raise Http404 from None
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("settings:tokens")
