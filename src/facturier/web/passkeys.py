"""Passkeys in the browser: the challenge a page's passkey form answers (kept in the
session, spent by the one POST that answers it), the member's passkeys in Settings →
Security, and the passkey answer at sign-in and before sensitive settings
(static/facturier/passkeys.js calls the browser's WebAuthn API)."""

from django.http import HttpRequest

from facturier.access import actions as access_actions
from facturier.access import passkeys as ceremony
from facturier.core.errors import DomainError
from facturier.firms.models import User

from .signin import client_ip

CHALLENGE = "passkey_challenge:{}"


def site(request: HttpRequest) -> ceremony.Site:
    """The relying party: the host this request reached (ALLOWED_HOSTS checked it)."""
    return ceremony.site_for(request.scheme, request.get_host())


def issue(request: HttpRequest, purpose: str) -> dict:
    challenge = request.session[CHALLENGE.format(purpose)] = ceremony.new_challenge()
    return challenge


def spend(request: HttpRequest, purpose: str) -> dict | None:
    """The challenge the page was given, which works this once."""
    return request.session.pop(CHALLENGE.format(purpose), None)


def sign_in_options(request: HttpRequest, member: User, purpose: str) -> dict | None:
    """Options for navigator.credentials.get() with `member`'s passkeys, or None."""
    if not access_actions.passkeys_of(member):
        return None
    return access_actions.authentication_options(
        member, site=site(request), challenge=issue(request, purpose)
    )


def registration_options(request: HttpRequest) -> dict:
    return access_actions.registration_options(
        request.user, site=site(request), challenge=issue(request, "register")
    )


def check(request: HttpRequest, member: User, purpose: str, *, by: User | None) -> None:
    """The passkey answer the form posted; a refusal is in the trail, then raised."""
    try:
        access_actions.check_passkey(
            member,
            by=by,
            credential=request.POST.get("credential", ""),
            site=site(request),
            challenge=spend(request, purpose),
            purpose=purpose,
        )
    except DomainError as exc:
        access_actions.record_passkey_refusal(
            member,
            refusal=exc,
            ip=client_ip(request),
            user_agent=request.headers.get("User-Agent", ""),
        )
        raise
