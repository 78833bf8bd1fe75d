"""Signing in with the firm's single sign-on (OpenID Connect): the member types their
work address, which names their firm; the browser goes to the firm's provider with
PKCE, a state and a nonce kept in this session; the provider sends it back with a code,
exchanged for an ID token whose checks (access/oidc.py) say who signed in. The
provider's answer comes back as a GET (the protocol's redirect), so signing in writes
on that GET, as a password sign-in writes on its POST."""

import secrets
import time

from django import forms
from django.conf import settings
from django.contrib.auth import login as auth_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from facturier.access import actions as access_actions
from facturier.access import oidc
from facturier.access.errors import (
    ProviderRefused,
    SingleSignOnRefused,
    SsoNotConfigured,
    WrongState,
)
from facturier.access.models import SingleSignOn

from .signin import _refused, _user_agent, client_ip, count_failure, throttled

PENDING_SSO = "sso_pending"
PENDING_FOR = 600  # seconds to go through the provider's pages
TEMPLATE = "registration/login_sso.html"


class SingleSignOnForm(forms.ModelForm):
    issuer = forms.URLField(
        label=_("issuer"),
        assume_scheme="https",
        max_length=300,
        help_text=_(
            "The provider's address, e.g. https://login.microsoftonline.com/<tenant>/v2.0 "
            "or https://accounts.google.com"
        ),
    )
    client_secret = forms.CharField(
        label=_("client secret"),
        required=False,
        max_length=500,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Never shown again. Left empty: the one already stored is kept."),
    )

    class Meta:
        model = SingleSignOn
        fields = ["issuer", "client_id", "client_secret", "sso_only", "trust_provider_emails"]


def redirect_uri(request: HttpRequest) -> str:
    """The address the provider sends members back to (registered with the client)."""
    return request.build_absolute_uri(reverse("login_sso_callback"))


def _next(request: HttpRequest, value: str) -> str:
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return ""


@never_cache
@csrf_protect
def sso_start(request: HttpRequest) -> HttpResponse:
    """The member's address names their firm, whose provider they are sent to."""
    next_url = _next(request, request.POST.get("next") or request.GET.get("next", ""))
    if request.method != "POST":
        return render(request, TEMPLATE, {"next": next_url})
    email = request.POST.get("email", "").strip()[:254]
    if throttled(request, email):  # addresses tried one after another, as passwords are
        return _refused(request, TEMPLATE, {"next": next_url, "email": email}, email)
    try:
        firm_sso = access_actions.single_sign_on_for_address(email)
    except SsoNotConfigured as exc:
        count_failure(request, email)
        context = {"next": next_url, "email": email, "refusal": exc.message, "code": exc.code}
        return render(request, TEMPLATE, context, status=exc.status)
    begun = oidc.start(
        access_actions.provider_of(firm_sso), redirect_uri=redirect_uri(request), login_hint=email
    )
    request.session[PENDING_SSO] = {
        "firm": firm_sso.firm_id,
        "state": begun.state,
        "nonce": begun.nonce,
        "verifier": begun.code_verifier,
        "next": next_url,
        "at": time.time(),
    }
    # A page that moves on by itself, not a redirect: the sign-in form's page may only
    # submit to this site (the Content-Security-Policy's form-action), redirects included.
    return render(request, "registration/login_sso_go.html", {"provider_url": begun.url})


def _member(request: HttpRequest, firm_sso: SingleSignOn, pending: dict, seen: dict):
    """The member the provider's answer names, or the refusal that says why not."""
    if not secrets.compare_digest(request.GET.get("state", ""), pending["state"]):
        raise WrongState()
    if request.GET.get("error") or not request.GET.get("code"):
        raise ProviderRefused()
    provider = access_actions.provider_of(firm_sso)
    id_token = oidc.exchange_code(
        provider,
        code=request.GET["code"],
        code_verifier=pending["verifier"],
        redirect_uri=redirect_uri(request),
        transport=oidc_transport(),
    )
    claims = oidc.verify_id_token(
        id_token,
        keys=oidc.provider_keys(provider, transport=oidc_transport()),
        issuer=provider.issuer,
        client_id=provider.client_id,
        nonce=pending["nonce"],
    )
    seen["email"] = str(claims.get("email") or "")
    return access_actions.member_for_claims(firm_sso, claims=claims)


def oidc_transport():
    """httpx's default transport; the tests may put another in its place."""
    return None


@never_cache
def sso_callback(request: HttpRequest) -> HttpResponse:
    """Where the provider sends the member back: signed in, or refused with a code (and
    no session)."""
    pending = request.session.pop(PENDING_SSO, None) or {}
    firm_sso = access_actions.single_sign_on(pending.get("firm"))
    seen: dict = {}
    try:
        if firm_sso is None or time.time() - pending.get("at", 0) > PENDING_FOR:
            raise WrongState()
        member = _member(request, firm_sso, pending, seen)
    except SingleSignOnRefused as exc:
        if firm_sso is not None:
            access_actions.record_sso_refusal(
                firm_sso,
                refusal=exc,
                email=seen.get("email", ""),
                ip=client_ip(request),
                user_agent=_user_agent(request),
            )
        context = {"refusal": exc.message, "code": exc.code}
        return render(request, TEMPLATE, context, status=exc.status)
    request.second_factor = "sso"  # the provider vouches for the member: a strong sign-in
    auth_login(request, member, backend=settings.AUTHENTICATION_BACKENDS[0])
    return redirect(pending.get("next") or resolve_url(settings.LOGIN_REDIRECT_URL))
