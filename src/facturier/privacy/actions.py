"""Personal data: exporting what the firm holds about a person, and erasing it where
the law allows. Each is an action with its row in the firm's audit trail."""

from typing import Any

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from facturier.access.errors import LastSettingsHolder
from facturier.access.models import (
    AccountEmail,
    ApiToken,
    IdempotencyRecord,
    Invitation,
    MemberSession,
    Passkey,
    RecoveryCode,
    SsoIdentity,
)
from facturier.access.staff import active_settings_holders
from facturier.clients.models import Client, Contact
from facturier.core.actions import action
from facturier.core.errors import Invalid, NotFound
from facturier.firms import actions as firm_actions
from facturier.firms import audit
from facturier.firms.events import AuditName
from facturier.firms.models import AuditEvent, Firm, User
from facturier.outbox.models import DeliveryStatus
from facturier.receivables.actions.debit_notices import masked_iban
from facturier.receivables.models import DebitNotice

from . import selectors
from .errors import WHAT_STAYS, AlreadyErased, MemberActive

NO_CONTACT = _("No such contact.")
NO_MEMBER = _("No such member of staff.")


def _contact(contact: Contact | int, *, by: User | None) -> Contact:
    """The contact, in `by`'s firm (`by` None: the retention pass)."""
    if by is not None:
        firm_actions.require_settings_right(by)
    pk = contact.pk if isinstance(contact, Contact) else contact
    found = Contact.objects.select_related("client").filter(pk=pk).first()
    if found is None or (by is not None and found.client.firm_id != by.firm_id):
        raise NotFound(NO_CONTACT)
    return found


def _member(member: User | int, *, by: User | None, own_allowed: bool = False) -> User:
    pk = member.pk if isinstance(member, User) else member
    if by is not None and not (own_allowed and by.is_authenticated and by.pk == pk):
        firm_actions.require_settings_right(by)
    found = User.objects.filter(pk=pk, firm__isnull=False).first()
    if found is None or (by is not None and found.firm_id != by.firm_id):
        raise NotFound(NO_MEMBER)
    return found


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(
            {"reason": [_("Say why the personal data is erased.")]},
            codes={"reason": ["required"]},
        )
    return reason[:500]


@action
def export_contact_data(contact: Contact | int, *, by: User) -> dict[str, Any]:
    """Everything the firm holds about a client's contact (settings right)."""
    contact = _contact(contact, by=by)
    data = selectors.contact_data(contact)
    audit.record(
        AuditName.CONTACT_DATA_EXPORTED,
        contact,
        by=by,
        firm_id=by.firm_id,
        target_name=f"contact #{contact.pk}",
    )
    return data


@action
def export_member_data(member: User | int, *, by: User) -> dict[str, Any]:
    """Everything the firm holds about a member of staff (settings right, or their own)."""
    member = _member(member, by=by, own_allowed=True)
    data = selectors.member_data(member)
    audit.record(
        AuditName.STAFF_DATA_EXPORTED,
        member,
        by=by,
        firm_id=member.firm_id,
        target_name=f"staff #{member.pk}",
    )
    return data


def _forget_in_trail(target: Contact | User) -> None:
    """The trail's rows about the person keep what happened and when, not their name."""
    AuditEvent.objects.filter(
        target_type=target._meta.label_lower, target_id=str(target.pk)
    ).update(target="", details={})


def _scrub_debit_notices(firm_id: int, email: str) -> None:
    """The direct-debit pre-notifications the contact was e-mailed: their address goes
    from the recipients and the debited account shows its last characters only. One
    not sent yet and left without a recipient is not sent."""
    wanted = (email or "").strip().lower()
    if not wanted:
        return
    rows = DebitNotice.objects.filter(firm_id=firm_id).select_related("debit__mandate")
    for notice in rows.order_by("id"):
        if wanted not in [a.lower() for a in [*notice.to, *notice.cc]]:
            continue
        notice.to = [a for a in notice.to if a.lower() != wanted]
        notice.cc = [a for a in notice.cc if a.lower() != wanted]
        iban = notice.debit.mandate.iban
        if iban:
            notice.body = notice.body.replace(iban, masked_iban(iban))
        if notice.is_pending and not notice.to:
            notice.status = DeliveryStatus.FAILED
            notice.last_error = "recipient erased"
        notice.save(update_fields=["to", "cc", "body", "status", "last_error"])


@action
def erase_contact(contact: Contact | int, *, by: User | None, reason: str) -> Contact:
    """Anonymises a client's contact: name, e-mail, phone, role and language go; the
    contact reads "Erased person". What invoices and e-mails recorded stays (WHAT_STAYS).
    `by` None: the retention pass."""
    contact = _contact(contact, by=by)
    reason = _reason(reason)
    contact = Contact.objects.select_for_update().select_related("client").get(pk=contact.pk)
    if contact.erased_at:
        raise AlreadyErased()
    erased_email = contact.email
    contact.name = contact.email = contact.phone = contact.role = contact.language = ""
    contact.is_billing = False
    contact.erased_at = timezone.now()
    contact.save(
        update_fields=["name", "email", "phone", "role", "language", "is_billing", "erased_at"]
    )
    _forget_in_trail(contact)
    _scrub_debit_notices(contact.client.firm_id, erased_email)
    audit.record(
        AuditName.CONTACT_ERASED,
        contact,
        by=by,
        firm_id=contact.client.firm_id,
        target_name=f"contact #{contact.pk}",
        details={"reason": reason, "client": contact.client.name, "kept": str(WHAT_STAYS)},
    )
    return contact


def _end_sessions(member: User) -> None:
    """Every open session of the member (the sessions' table keys nothing by user)."""
    ended = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if str(session.get_decoded().get(SESSION_KEY)) == str(member.pk)
    ]
    Session.objects.filter(pk__in=ended).delete()
    MemberSession.objects.filter(user=member).delete()


def _check_erasable(member: User) -> None:
    if member.erased_at:
        raise AlreadyErased()
    holders = list(active_settings_holders(member.firm_id).values_list("pk", flat=True))
    if holders == [member.pk]:
        raise LastSettingsHolder()
    if member.is_active:
        raise MemberActive()


def _remove_access(member: User, email: str) -> None:
    """Sessions, tokens, two factors and invitations' addresses: gone with the name."""
    _end_sessions(member)
    ApiToken.objects.filter(user=member).delete()
    IdempotencyRecord.objects.filter(user=member).delete()
    TOTPDevice.objects.filter(user=member).delete()
    Passkey.objects.filter(user=member).delete()
    SsoIdentity.objects.filter(user=member).delete()
    RecoveryCode.objects.filter(user=member).delete()
    Client.owners.through.objects.filter(user_id=member.pk).delete()
    invitations = Invitation.objects.filter(firm_id=member.firm_id, member=member)
    if email:
        invitations = invitations | Invitation.objects.filter(
            firm_id=member.firm_id, email__iexact=email
        )
    Invitation.objects.filter(pk__in=list(invitations.values_list("pk", flat=True))).update(
        email=""
    )
    # The invitations and password resets e-mailed to them: delivered, now addressless.
    sent_to = [
        pk
        for pk, to in AccountEmail.objects.filter(
            Q(firm_id=member.firm_id) | Q(firm__isnull=True)
        ).values_list("pk", "to")
        if email and email.lower() in [address.lower() for address in to]
    ]
    AccountEmail.objects.filter(pk__in=sent_to).update(to=[], body="")


@action
def erase_member(member: User | int, *, by: User | None, reason: str) -> User:
    """Anonymises a deactivated member of staff: names, e-mail, login and language go;
    their sessions, API tokens and two-factor devices are deleted. The rows they wrote
    stay, signed "Erased person". `by` None: the retention pass."""
    member = _member(member, by=by)
    reason = _reason(reason)
    Firm.objects.select_for_update().filter(pk=member.firm_id).first()
    member = User.objects.get(pk=member.pk)
    _check_erasable(member)
    _remove_access(member, member.email)
    member.first_name = member.last_name = member.email = member.language = ""
    member.username = f"erased-{member.pk}"
    member.set_unusable_password()
    member.erased_at = timezone.now()
    member.save(
        update_fields=[
            "first_name",
            "last_name",
            "email",
            "language",
            "username",
            "password",
            "erased_at",
        ]
    )
    _forget_in_trail(member)
    audit.record(
        AuditName.STAFF_ERASED,
        member,
        by=by,
        firm_id=member.firm_id,
        target_name=f"staff #{member.pk}",
        details={"reason": reason, "kept": str(WHAT_STAYS)},
    )
    return member
