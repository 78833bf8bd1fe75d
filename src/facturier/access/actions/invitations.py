"""Inviting a colleague: an invitation row (its link's secret kept hashed), the e-mail
with the link through the outbox, resend (a new link, the old one dead), revoke, and
acceptance, which makes the member with the rights given, once."""

import datetime
import secrets
from collections.abc import Iterable

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from facturier.core.actions import action
from facturier.core.errors import Invalid, NotFound
from facturier.firms import audit
from facturier.firms.models import User

from ..errors import (
    AlreadyInvited,
    AlreadyMember,
    InvitationExpired,
    InvitationRevoked,
    InvitationUsed,
)
from ..events import AuditName
from ..models import AccountEmail, Invitation, hash_token
from ..staff import permission_objects
from .account_emails import queue_account_email
from .members import clean_rights, require_admin

LIFETIME = datetime.timedelta(hours=72)
NAME_NEEDED = gettext_lazy("Enter your first and last name.")


def _clean_email(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise Invalid(
            {"email": [_("Enter a valid e-mail address.")]}, codes={"email": ["invalid"]}
        ) from None
    return email


def _is_member(email: str) -> bool:
    return User.objects.filter(email__iexact=email).exists() or (
        User.objects.filter(username__iexact=email).exists()
    )


def _new_link(invitation: Invitation, *, site: str, language: str) -> None:
    """A fresh secret (the previous link dies with its hash), 72 hours, and the e-mail."""
    raw = secrets.token_urlsafe(32)
    now = timezone.now()
    invitation.digest = hash_token(raw)
    invitation.created_at = now
    invitation.expires_at = now + LIFETIME
    invitation.save()
    link = site.rstrip("/") + reverse("accept_invitation", args=[raw])
    inviter = invitation.invited_by
    with translation.override(language):
        subject = _("%(firm)s invites you to facturier") % {"firm": invitation.firm.name}
        body = _(
            "Hello,\n\n%(inviter)s invites you to join %(firm)s on facturier.\n\n"
            "Choose your name and password here (the link works once, for 72 hours):\n"
            "%(link)s\n\nIf you did not expect this invitation, ignore this e-mail."
        ) % {"inviter": str(inviter), "firm": invitation.firm.name, "link": link}
    queue_account_email(
        firm=invitation.firm,
        purpose=AccountEmail.Purpose.INVITATION,
        to=invitation.email,
        subject=subject,
        body=body,
        language=language,
    )


@action
def invite_member(
    *, by: User, email: str, rights: Iterable[str], site: str, language: str
) -> Invitation:
    """Invite `email` to `by`'s firm with `rights`; the link is e-mailed (in `language`)
    by the worker. Refused for an address that already has an account, in any firm."""
    require_admin(by)
    email = _clean_email(email)
    rights = clean_rights(rights)
    if _is_member(email):
        raise AlreadyMember()
    now = timezone.now()
    pending = Invitation.objects.filter(
        firm_id=by.firm_id,
        email=email,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=now,
    )
    if pending.exists():
        raise AlreadyInvited()
    invitation = Invitation(firm=by.firm, email=email, permissions=rights, invited_by=by)
    _new_link(invitation, site=site, language=language)
    audit.record(
        AuditName.INVITATION_SENT,
        invitation,
        by=by,
        firm_id=by.firm_id,
        details={"email": email, "rights": rights},
    )
    return invitation


def _own_invitation(invitation: Invitation | int, by: User) -> Invitation:
    require_admin(by)
    pk = invitation.pk if isinstance(invitation, Invitation) else invitation
    found = (
        Invitation.objects.select_for_update()
        .select_related("firm", "invited_by")
        .filter(pk=pk, firm_id=by.firm_id, accepted_at__isnull=True, revoked_at__isnull=True)
        .first()
    )
    if found is None:
        raise NotFound(_("No such pending invitation."))
    return found


@action
def resend_invitation(
    invitation: Invitation | int, *, by: User, site: str, language: str
) -> Invitation:
    """A new link for 72 hours, e-mailed again; the link sent before no longer works."""
    invitation = _own_invitation(invitation, by)
    if _is_member(invitation.email):
        raise AlreadyMember()
    invitation.invited_by = by
    _new_link(invitation, site=site, language=language)
    audit.record(AuditName.INVITATION_RESENT, invitation, by=by, firm_id=by.firm_id, details={})
    return invitation


@action
def revoke_invitation(invitation: Invitation | int, *, by: User) -> Invitation:
    invitation = _own_invitation(invitation, by)
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit.record(AuditName.INVITATION_REVOKED, invitation, by=by, firm_id=by.firm_id)
    return invitation


def invitation_for(raw: str, *, now: datetime.datetime | None = None, lock: bool = False):
    """The invitation a link names, if it may still be accepted; else the refusal."""
    now = now or timezone.now()
    rows = Invitation.objects.select_related("firm")
    if lock:
        rows = rows.select_for_update()
    invitation = rows.filter(digest=hash_token(raw or "")).first()
    if invitation is None or invitation.revoked_at is not None:
        raise InvitationRevoked()
    if invitation.accepted_at is not None:
        raise InvitationUsed()
    if invitation.expires_at <= now:
        raise InvitationExpired()
    return invitation


def _check_new_member(user: User, password: str) -> None:
    errors: dict[str, list[str]] = {}
    codes: dict[str, list[str]] = {}
    for field in ("first_name", "last_name"):
        if not getattr(user, field):
            errors[field] = [str(NAME_NEEDED)]
            codes[field] = ["required"]
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        errors["password"] = list(exc.messages)
        codes["password"] = [e.code or "invalid" for e in exc.error_list]
    if errors:
        raise Invalid(errors, codes=codes)


@action
def accept_invitation(
    raw: str, *, by: User | None = None, first_name: str, last_name: str, password: str
) -> User:
    """The invitee becomes a member with the rights given (`by`: nobody signed in yet)."""
    invitation = invitation_for(raw, lock=True)
    if _is_member(invitation.email):
        raise AlreadyMember()
    user = User(
        username=invitation.email,
        email=invitation.email,
        firm=invitation.firm,
        first_name=(first_name or "").strip()[:150],
        last_name=(last_name or "").strip()[:150],
    )
    _check_new_member(user, password or "")
    user.set_password(password)
    user.save()
    user.user_permissions.set(permission_objects(invitation.permissions))
    invitation.accepted_at = timezone.now()
    invitation.member = user
    invitation.save(update_fields=["accepted_at", "member"])
    audit.record(
        AuditName.INVITATION_ACCEPTED,
        invitation,
        by=user,
        firm_id=invitation.firm_id,
        details={"member": user.pk, "rights": invitation.permissions},
    )
    return user
