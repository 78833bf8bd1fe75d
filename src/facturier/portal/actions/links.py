"""Signing in to the portal: a one-time link by e-mail (15 minutes, once, kept hashed),
which opens a portal session of its own (never a staff one)."""

import datetime

from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from facturier.access import actions as access_actions
from facturier.core.actions import action
from facturier.firms import audit
from facturier.firms.models import User

from ..errors import AccessRevoked, ContactArchived, LinkExpired, LinkInvalid, LinkUsed
from ..events import AuditName
from ..models import PortalAccess, PortalSession, SignInLink, hash_secret, new_secret

LINK_LIFETIME = datetime.timedelta(minutes=15)
SESSION_LIFETIME = datetime.timedelta(hours=8)
PURPOSE = "portal_link"


def contact_language(contact) -> str:
    return contact.language or contact.client.language or "fr"


def _texts(access: PortalAccess, link: str, *, invitation: bool) -> tuple[str, str]:
    firm = access.firm.name
    if invitation:
        subject = _("%(firm)s opens its client portal to you") % {"firm": firm}
        intro = _(
            "%(firm)s invites you to its client portal: what you owe, your invoices and "
            "their downloads, your payments and your direct-debit mandates."
        ) % {"firm": firm}
    else:
        subject = _("Your sign-in link to the %(firm)s client portal") % {"firm": firm}
        intro = _("Here is the sign-in link you asked for.")
    body = _(
        "Hello %(name)s,\n\n%(intro)s\n\nSign in here (the link works once, for 15 "
        "minutes):\n%(link)s\n\nAfterwards, ask for a new link at %(portal)s\n\n"
        "If you did not expect this e-mail, ignore it."
    ) % {
        "name": access.contact.name,
        "intro": intro,
        "link": link,
        "portal": link.split("/portal/")[0] + reverse("portal:sign_in"),
    }
    return subject, body


def send_link(
    access: PortalAccess, *, site: str, now: datetime.datetime, invitation: bool = False
) -> SignInLink:
    """A new one-time link, e-mailed through the outbox (called inside an action)."""
    raw, digest = new_secret()
    link = SignInLink.objects.create(
        access=access, digest=digest, created_at=now, expires_at=now + LINK_LIFETIME
    )
    url = site.rstrip("/") + reverse("portal:open_link", args=[raw])
    language = contact_language(access.contact)
    with translation.override(language):
        subject, body = _texts(access, url, invitation=invitation)
    access_actions.queue_account_email(
        firm=access.firm,
        purpose=PURPOSE,
        to=access.contact.email,
        subject=subject,
        body=body,
        language=language,
    )
    audit.record(
        AuditName.LINK_SENT,
        access,
        by=None,
        firm_id=access.firm_id,
        details={"contact": access.contact_id, "email": access.contact.email},
    )
    return link


@action
def request_sign_in_link(
    *, by: User | None = None, email: str, site: str, now: datetime.datetime | None = None
) -> int:
    """A link to each open access of contacts with this address; how many, which the
    caller never shows (the answer reads the same for an unknown address)."""
    now = now or timezone.now()
    email = (email or "").strip()
    if not email:
        return 0
    accesses = PortalAccess.objects.select_related("contact__client", "firm").filter(
        contact__email__iexact=email,
        revoked_at__isnull=True,
        contact__client__archived_at__isnull=True,
    )
    count = 0
    for access in accesses:
        send_link(access, site=site, now=now)
        count += 1
    return count


def check_link(raw: str, *, now: datetime.datetime | None = None) -> None:
    """Whether a link would still sign in (read only): its refusal raised, if any."""
    _usable_link(raw, now or timezone.now(), lock=False)


def _usable_link(raw: str, now: datetime.datetime, *, lock: bool = True) -> SignInLink:
    rows = SignInLink.objects.select_related("access__contact__client")
    if lock:
        rows = rows.select_for_update()
    link = rows.filter(digest=hash_secret(raw)).first()
    if link is None:
        raise LinkInvalid()
    if link.used_at is not None:
        raise LinkUsed()
    if link.expires_at <= now:
        raise LinkExpired()
    if link.access.revoked_at is not None:
        raise AccessRevoked()
    if link.access.contact.client.archived_at is not None:
        raise ContactArchived()
    return link


@action
def open_session(
    raw_link: str,
    *,
    by: User | None = None,
    ip: str = "",
    user_agent: str = "",
    now: datetime.datetime | None = None,
) -> tuple[PortalSession, str]:
    """Spend a link (once) on a new portal session; returns it with its cookie's value."""
    now = now or timezone.now()
    link = _usable_link(raw_link, now)
    link.used_at = now
    link.save(update_fields=["used_at"])
    access = link.access
    access.last_signed_in_at = now
    access.save(update_fields=["last_signed_in_at"])
    raw, digest = new_secret()
    session = PortalSession.objects.create(
        access=access,
        digest=digest,
        created_at=now,
        expires_at=now + SESSION_LIFETIME,
        ip=ip[:45],
        user_agent=user_agent[:200],
    )
    audit.record(
        AuditName.SESSION_OPENED,
        access,
        by=None,
        firm_id=access.firm_id,
        details={"contact": access.contact_id, "ip": ip, "user_agent": user_agent[:200]},
    )
    return session, raw


@action
def close_session(raw_session: str, *, by: User | None = None) -> bool:
    """Sign out: the session's row goes, so its cookie opens nothing any more."""
    session = (
        PortalSession.objects.select_related("access")
        .filter(digest=hash_secret(raw_session))
        .first()
    )
    if session is None:
        return False
    access = session.access
    session.delete()
    audit.record(
        AuditName.SESSION_CLOSED,
        access,
        by=None,
        firm_id=access.firm_id,
        details={"contact": access.contact_id},
    )
    return True
