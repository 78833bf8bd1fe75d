"""Forgotten passwords: the reset link goes through the outbox like every e-mail, and
the asking reads the same whether the address is known or not."""

from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from facturier.core.actions import action
from facturier.core.errors import Invalid, NotAllowed
from facturier.firms import audit
from facturier.firms.models import User

from ..events import AuditName
from ..models import AccountEmail
from .account_emails import queue_account_email


def _reset_body(user: User, link: str) -> tuple[str, str]:
    subject = _("Reset your facturier password")
    body = _(
        "Hello %(name)s,\n\nSomeone asked to reset the password of your facturier "
        "account (%(username)s). Choose a new one here:\n%(link)s\n\n"
        "If it was not you, ignore this e-mail: your password stays as it is."
    ) % {"name": user.get_full_name() or user.username, "username": user.username, "link": link}
    return subject, body


@action
def request_password_reset(*, by: User | None = None, email: str, site: str, language: str) -> int:
    """Queue a reset link for each active account with this address (usually one);
    returns how many, which the caller never shows (`by`: nobody is signed in)."""
    users = [
        user
        for user in User.objects.filter(email__iexact=(email or "").strip(), is_active=True)
        if user.has_usable_password()
    ]
    for user in users:
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        token = default_token_generator.make_token(user)
        link = site.rstrip("/") + reverse("password_reset_confirm", args=[uid, token])
        with translation.override(user.language or language):
            subject, body = _reset_body(user, link)
        queue_account_email(
            firm=user.firm,
            purpose=AccountEmail.Purpose.PASSWORD_RESET,
            to=user.email,
            subject=subject,
            body=body,
            language=user.language or language,
        )
        audit.record(AuditName.PASSWORD_RESET_REQUESTED, user, by=None, firm_id=user.firm_id)
    return len(users)


@action
def reset_password(member: User, *, by: User | None = None, password: str, token: str) -> User:
    """The new password chosen from a reset link (checked again here: the link's token
    dies with the old password)."""
    if not (member.is_active and default_token_generator.check_token(member, token)):
        raise NotAllowed(_("This password reset link is no longer valid."))
    try:
        validate_password(password, user=member)
    except ValidationError as exc:
        raise Invalid(
            {"password": list(exc.messages)},
            codes={"password": [e.code or "invalid" for e in exc.error_list]},
        ) from None
    member.set_password(password)
    member.save(update_fields=["password"])
    audit.record(AuditName.PASSWORD_RESET, member, by=member, firm_id=member.firm_id)
    return member
