"""Single sign-on per firm (OpenID Connect): its settings, set by a member with the
settings right and checked against the provider's discovery document when saved; who
a provider's answer signs in (an active member of the firm with the address the
provider vouched for at the first sign-in, then their identity there; never a new
account); and the refusals, in the firm's trail."""

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from facturier.core.actions import action
from facturier.core.errors import Invalid, NotAllowed
from facturier.firms import audit
from facturier.firms.actions import NEEDS_SETTINGS_RIGHT, require_settings_right
from facturier.firms.models import Firm, User
from facturier.firms.permissions import can_manage_settings

from .. import oidc
from ..errors import (
    EmailNotVerified,
    IdentityMismatch,
    MemberDeactivated,
    ProviderRefused,
    SingleSignOnRefused,
    SsoNotConfigured,
    SsoSignInConcurrent,
    UnknownEmail,
)
from ..events import AuditName
from ..models import SingleSignOn, SsoIdentity

SSO_FIELDS = ("issuer", "client_id", "client_secret", "sso_only", "trust_provider_emails")
# Shown in the trail and the API; the secret never.
PUBLIC_FIELDS = ("issuer", "client_id", "sso_only", "trust_provider_emails")
# Who names the provider, or whether its addresses are taken on trust, decides who may
# sign in as any member: changed with two factors.
SSO_SENSITIVE_FIELDS = ("issuer", "client_id", "client_secret", "trust_provider_emails")
DISCOVERED = ("authorization_endpoint", "token_endpoint", "jwks_uri")


def single_sign_on(firm_id: int | None) -> SingleSignOn | None:
    return SingleSignOn.objects.filter(firm_id=firm_id).first() if firm_id else None


def provider_of(settings: SingleSignOn) -> oidc.Provider:
    return oidc.Provider(
        issuer=settings.issuer,
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        authorization_endpoint=settings.authorization_endpoint,
        token_endpoint=settings.token_endpoint,
        jwks_uri=settings.jwks_uri,
    )


def single_sign_on_for_address(email: str) -> SingleSignOn:
    """The single sign-on of the firm of the member with this address; the same refusal
    whether nobody has it or their firm has none."""
    member = (
        User.objects.filter(email__iexact=(email or "").strip(), firm__isnull=False)
        .exclude(email="")
        .order_by("-is_active", "pk")
        .first()
    )
    settings = single_sign_on(member.firm_id) if member else None
    if settings is None:
        raise SsoNotConfigured()
    return settings


def sso_only_refuses(member: User) -> bool:
    """A password sign-in the firm's "SSO only" refuses: everyone's but the members with
    the settings right (the firm's way back in when its provider fails)."""
    settings = single_sign_on(member.firm_id)
    if settings is None or not settings.sso_only:
        return False
    return not can_manage_settings(member)


# Microsoft Entra ID's issuers (v2.0 and v1 tokens, public and national clouds).
ENTRA_ISSUER_HOSTS = frozenset(
    {
        "login.microsoftonline.com",
        "login.microsoftonline.us",
        "login.partner.microsoftonline.cn",
        "sts.windows.net",
        "sts.chinacloudapi.cn",
    }
)


def is_entra_issuer(issuer: str) -> bool:
    parts = urlsplit(str(issuer or ""))
    return parts.scheme == "https" and (parts.hostname or "") in ENTRA_ISSUER_HOSTS


def identity_key(claims: Mapping[str, Any], *, issuer: str = "") -> str:
    """Who the provider says the member is, for good: with Entra ID (its `sub` differs
    from one application to the next), its tenant and object ids; with any other
    provider `sub`, whatever else it puts in the token (`tid`/`oid` mean nothing there
    and could be set by whoever edits their profile)."""
    tid, oid = claims.get("tid"), claims.get("oid")
    entra = is_entra_issuer(issuer or str(claims.get("iss") or ""))
    if entra and isinstance(tid, str) and isinstance(oid, str) and tid and oid:
        return f"oid:{tid}:{oid}"
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise ProviderRefused()
    return f"sub:{sub}"


def _usable(member: User) -> User:
    if not member.is_active:
        raise MemberDeactivated()
    return member


def _member_by_email(settings: SingleSignOn, claims: Mapping[str, Any]) -> User:
    """A first sign-in: the member with the address, when the provider vouches for it
    (email_verified) or the firm trusts the provider's addresses."""
    email = claims.get("email")
    if not isinstance(email, str) or not email.strip():
        raise UnknownEmail()
    if claims.get("email_verified") is not True and not settings.trust_provider_emails:
        raise EmailNotVerified()
    members = User.objects.filter(firm_id=settings.firm_id, email__iexact=email.strip())
    member = members.order_by("-is_active", "pk").first()
    if member is None:
        raise UnknownEmail()
    return _usable(member)


@action
def member_for_claims(
    settings: SingleSignOn, *, by: User | None = None, claims: Mapping[str, Any]
) -> User:
    """The firm's member the provider's answer names (`by`: nobody is signed in yet).
    A member is linked to their identity at the provider at their first single sign-on
    and matched by it afterwards, never by the e-mail address again: someone who later
    puts a member's address on another account there gets nowhere."""
    key = identity_key(claims, issuer=settings.issuer)
    known = SsoIdentity.objects.filter(
        firm_id=settings.firm_id, issuer=settings.issuer, subject=key
    ).select_related("user")
    identity = known.first()
    now = timezone.now()
    if identity is not None:
        member = _usable(identity.user)
        identity.last_used_at = now
        identity.save(update_fields=["last_used_at"])
        return member
    member = _member_by_email(settings, claims)
    if SsoIdentity.objects.filter(user=member, issuer=settings.issuer).exists():
        raise IdentityMismatch()
    try:
        with transaction.atomic():  # a savepoint: the loser of a race is refused cleanly
            SsoIdentity.objects.create(
                firm_id=settings.firm_id,
                user=member,
                issuer=settings.issuer,
                subject=key,
                linked_at=now,
                last_used_at=now,
            )
    except IntegrityError:
        raise SsoSignInConcurrent() from None
    audit.record(
        AuditName.SSO_IDENTITY_LINKED,
        member,
        by=member,
        firm_id=settings.firm_id,
        details={
            "issuer": settings.issuer,
            "email": str(claims.get("email") or "")[:254],
            "email_verified": claims.get("email_verified") is True,
        },
    )
    return member


def save_single_sign_on(
    firm: Firm,
    *,
    by: User,
    fields: Mapping[str, Any],
    discover: Callable[[str], oidc.Discovery] = oidc.discover,
) -> SingleSignOn:
    """Reads the issuer's discovery document (outside any transaction: it is a call to
    the provider), then stores the settings; an issuer that cannot be read is refused
    beside its field."""
    require_settings_right(by)
    if firm is None or firm.pk != by.firm_id:
        raise NotAllowed(NEEDS_SETTINGS_RIGHT)
    issuer = str(fields.get("issuer") or "").strip()
    discovery = None
    if issuer:
        try:
            discovery = discover(issuer)
        except oidc.DiscoveryFailed:
            raise Invalid(
                {
                    "issuer": [
                        _(
                            "No OpenID Connect provider answers at this address "
                            "(its /.well-known/openid-configuration could not be read)."
                        )
                    ]
                },
                codes={"issuer": ["issuer_unreachable"]},
            ) from None
    return store_single_sign_on(firm, by=by, fields=fields, discovery=discovery)


@action
def store_single_sign_on(
    firm: Firm, *, by: User, fields: Mapping[str, Any], discovery: oidc.Discovery | None
) -> SingleSignOn:
    """Stores what `save_single_sign_on` checked; audited, the secret not (only that it
    changed). An empty secret keeps the one stored."""
    require_settings_right(by)
    unknown = set(fields) - set(SSO_FIELDS)
    if unknown:
        raise Invalid(
            {name: [_("This field cannot be set.")] for name in sorted(unknown)},
            codes={name: ["read_only"] for name in sorted(unknown)},
        )
    settings = single_sign_on(firm.pk) or SingleSignOn(firm=firm)
    before = audit.values(settings, PUBLIC_FIELDS)
    secret_changed = bool(fields.get("client_secret"))
    if (
        settings.pk
        and not secret_changed
        and fields.get("issuer", settings.issuer) != settings.issuer
    ):
        # The stored secret is the old provider's: never sent to another one.
        raise Invalid(
            {"client_secret": [_("Another provider: type its client secret.")]},
            codes={"client_secret": ["secret_required"]},
        )
    for name, value in fields.items():
        if name == "client_secret" and not value and settings.pk:
            continue  # left empty: keep the one stored
        setattr(settings, name, value)
    if discovery is not None:
        settings.authorization_endpoint = discovery.authorization_endpoint
        settings.token_endpoint = discovery.token_endpoint
        settings.jwks_uri = discovery.jwks_uri
    try:
        settings.full_clean(
            exclude=["firm", "authorization_endpoint", "token_endpoint", "jwks_uri"]
        )
    except ValidationError as exc:
        raise Invalid.from_django(exc) from None
    settings.save()
    changes = audit.changes(before, audit.values(settings, PUBLIC_FIELDS))
    if secret_changed:
        changes["client_secret"] = ["…", "…"]
    audit.record(
        AuditName.SSO_SETTINGS_CHANGED,
        settings,
        by=by,
        firm_id=firm.pk,
        details={"changes": changes},
    )
    return settings


@action
def remove_single_sign_on(*, by: User) -> bool:
    """The firm signs in with passwords again; False when it had no single sign-on."""
    require_settings_right(by)
    settings = single_sign_on(by.firm_id)
    if settings is None:
        return False
    audit.record(
        AuditName.SSO_SETTINGS_CHANGED,
        settings,
        by=by,
        firm_id=by.firm_id,
        details={"changes": {"issuer": [settings.issuer, ""]}, "removed": True},
    )
    settings.delete()
    return True


@action
def record_sso_refusal(
    settings: SingleSignOn,
    *,
    by: User | None = None,
    refusal: SingleSignOnRefused,
    email: str = "",
    ip: str,
    user_agent: str,
) -> None:
    """A single sign-on refused (`by`: nobody is signed in), in the firm's trail with its
    code and the address the provider gave, if any."""
    audit.record(
        AuditName.SIGN_IN_SSO_REFUSED,
        settings,
        by=by,
        firm_id=settings.firm_id,
        details={
            "code": refusal.code,
            "email": email[:254],
            "ip": ip,
            "user_agent": user_agent[:200],
        },
    )
