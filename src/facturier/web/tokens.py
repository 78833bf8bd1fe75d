"""Settings → API tokens: each user creates and revokes their own."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from facturier.access import usage
from facturier.access.actions import issue_token, revoke_token
from facturier.access.models import ApiToken
from facturier.core.errors import Invalid, NotFound

from .common import section


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    created = None
    status = 200
    tokens = list(ApiToken.objects.filter(user=request.user))
    used = usage.last_used(tokens)
    for token in tokens:
        token.last_used = used.get(token.pk)
    if request.method == "POST":
        try:
            token, created = issue_token(by=request.user, name=request.POST.get("name", ""))
            token.last_used = None
            tokens.insert(0, token)
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
