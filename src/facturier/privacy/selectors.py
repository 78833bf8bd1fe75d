"""What the firm holds about one person: a client's contact or a member of staff, as
the JSON document the export gives them (no secret: token and code hashes, TOTP keys,
passkeys' key material and session keys stay out)."""

from typing import Any

from django.db.models import Q
from django_otp.plugins.otp_totp.models import TOTPDevice

from facturier.access.events import AuditName
from facturier.access.models import (
    AccountEmail,
    ApiToken,
    Invitation,
    MemberSession,
    Passkey,
    RecoveryCode,
)
from facturier.access.staff import rights_of
from facturier.clients.models import Contact
from facturier.engagements.letter_models import EngagementLetterEmail
from facturier.engagements.models import BudgetAlert
from facturier.firms.models import AuditEvent, User
from facturier.invoicing.models import EmailDelivery, Invoice
from facturier.receivables.models import DebitNotice


def _when(value) -> str | None:
    return value.isoformat() if value else None


def _audit_rows(rows) -> list[dict[str, Any]]:
    return [
        {
            "at": _when(row.at),
            "action": row.action,
            "by": str(row.actor) if row.actor_id else None,
            "object": row.target,
            "object_type": row.target_type,
        }
        for row in rows.select_related("actor").order_by("at", "id")
    ]


def _invoice_emails(firm_id: int, email: str) -> list[dict[str, Any]]:
    """The invoices' e-mails the address was among the recipients of (to or cc)."""
    if not email:
        return []
    wanted = email.strip().lower()
    found = []
    deliveries = EmailDelivery.objects.filter(firm_id=firm_id).select_related("invoice")
    for delivery in deliveries.order_by("created_at", "id").iterator():
        addresses = [a.lower() for a in [*delivery.to, *delivery.cc]]
        if wanted in addresses:
            found.append(
                {
                    "invoice": delivery.invoice.number,
                    "subject": delivery.subject,
                    "to": delivery.to,
                    "cc": delivery.cc,
                    "status": delivery.status,
                    "requested_at": _when(delivery.created_at),
                    "sent_at": _when(delivery.sent_at),
                }
            )
    return found


def _addressed_to(rows, email: str):
    """The e-mails of `rows` (with `to` and maybe `cc` lists) the address was among the
    recipients of."""
    if not email:
        return
    wanted = email.strip().lower()
    for row in rows.order_by("created_at", "id").iterator():
        if wanted in [a.lower() for a in [*row.to, *getattr(row, "cc", [])]]:
            yield row


def _letter_emails(firm_id: int, email: str) -> list[dict[str, Any]]:
    """The engagement letters' e-mails the address received (to or cc)."""
    rows = EngagementLetterEmail.objects.filter(firm_id=firm_id).select_related(
        "letter__engagement"
    )
    return [
        {
            "engagement": row.letter.engagement.reference,
            "letter_version": row.letter.version,
            "subject": row.subject,
            "to": row.to,
            "cc": row.cc,
            "status": row.status,
            "requested_at": _when(row.created_at),
            "sent_at": _when(row.sent_at),
        }
        for row in _addressed_to(rows, email)
    ]


def _account_emails(member: User) -> list[dict[str, Any]]:
    """The e-mails the firm sent the member (invitation, password reset, budget alerts),
    without their text: a reset's link is a secret, even spent."""
    rows = AccountEmail.objects.filter(firm_id=member.firm_id)
    return [
        {
            "purpose": row.purpose,
            "subject": row.subject,
            "to": row.to,
            "status": row.status,
            "requested_at": _when(row.created_at),
            "sent_at": _when(row.sent_at),
        }
        for row in _addressed_to(rows, member.email)
    ]


def _budget_alerts(member: User) -> list[dict[str, Any]]:
    rows = BudgetAlert.objects.filter(sent_to=member).select_related("mission__engagement")
    return [
        {
            "engagement": row.mission.engagement.reference,
            "mission": row.mission.name,
            "year": row.year,
            "threshold": row.threshold,
            "sent_at": _when(row.created_at),
        }
        for row in rows.order_by("created_at", "id")
    ]


def _sso_refusals(member: User) -> list[dict[str, Any]]:
    """Single sign-ons refused with the member's address (the provider's, as it gave it)."""
    if not member.email:
        return []
    rows = AuditEvent.objects.filter(
        firm_id=member.firm_id,
        action=AuditName.SIGN_IN_SSO_REFUSED,
        details__email__iexact=member.email,
    )
    return [
        {
            "at": _when(row.at),
            "code": row.details.get("code"),
            "email": row.details.get("email"),
            "ip": row.details.get("ip"),
            "browser": row.details.get("user_agent"),
        }
        for row in rows.order_by("at", "id")
    ]


def _documents(client_id: int, email: str) -> list[dict[str, Any]]:
    """The finalized documents whose frozen recipient is this contact."""
    found = []
    invoices = Invoice.objects.filter(client_id=client_id, number__isnull=False)
    for invoice in invoices.order_by("issue_date", "id").only(
        "number", "issue_date", "kind", "snapshot"
    ):
        buyer = (invoice.snapshot or {}).get("buyer") or {}
        if email and (buyer.get("contact_email") or "").lower() == email.lower():
            found.append(
                {"number": invoice.number, "date": _when(invoice.issue_date), "kind": invoice.kind}
            )
    return found


def _debit_notices(firm_id: int, email: str) -> list[dict[str, Any]]:
    """The direct-debit pre-notifications the address received (to or cc)."""
    rows = DebitNotice.objects.filter(firm_id=firm_id).select_related("debit__invoice")
    return [
        {
            "invoice": row.debit.invoice.number,
            "collection_date": _when(row.debit.due_date),
            "subject": row.subject,
            "body": row.body,
            "to": row.to,
            "cc": row.cc,
            "status": row.status,
            "requested_at": _when(row.created_at),
            "sent_at": _when(row.sent_at),
        }
        for row in _addressed_to(rows, email)
    ]


def contact_data(contact: Contact) -> dict[str, Any]:
    client = contact.client
    return {
        "kind": "contact",
        "id": contact.pk,
        "fields": {
            "name": contact.display_name,
            "email": contact.email,
            "phone": contact.phone,
            "role": contact.role,
            "language": contact.language,
            "billing_contact": contact.is_billing,
            "erased_at": _when(contact.erased_at),
        },
        "client": {"id": client.pk, "name": client.name},
        "invoice_emails": _invoice_emails(client.firm_id, contact.email),
        "engagement_letter_emails": _letter_emails(client.firm_id, contact.email),
        "documents": _documents(client.pk, contact.email),
        "debit_notices": _debit_notices(client.firm_id, contact.email),
        "audit": _audit_rows(
            AuditEvent.objects.filter(target_type="clients.contact", target_id=str(contact.pk))
        ),
    }


def _two_factors(member: User) -> dict[str, Any]:
    codes = list(RecoveryCode.objects.filter(user=member).order_by("created_at", "id"))
    return {
        "devices": [
            {
                "name": device.name,
                "confirmed": device.confirmed,
                "created_at": _when(getattr(device, "created_at", None)),
                "last_used_at": _when(getattr(device, "last_used_at", None)),
            }
            for device in TOTPDevice.objects.filter(user=member).order_by("id")
        ],
        # Names and dates only: never a credential id nor a public key.
        "passkeys": [
            {
                "name": key.name,
                "created_at": _when(key.created_at),
                "last_used_at": _when(key.last_used_at),
            }
            for key in Passkey.objects.filter(user=member).order_by("created_at", "id")
        ],
        "recovery_codes": {
            "total": len(codes),
            "left": sum(1 for code in codes if code.used_at is None),
            "used_at": [_when(code.used_at) for code in codes if code.used_at],
        },
    }


def _tokens(member: User) -> list[dict[str, Any]]:
    return [
        {
            "name": token.name,
            "prefix": token.prefix,
            "scope": token.scope,
            "created_at": _when(token.created_at),
            "last_used_at": _when(token.last_used_at),
            "expires_at": _when(token.expires_at),
            "revoked_at": _when(token.revoked_at),
        }
        for token in ApiToken.objects.filter(user=member).order_by("created_at", "id")
    ]


def _invitations(member: User) -> list[dict[str, Any]]:
    rows = Invitation.objects.filter(firm_id=member.firm_id).filter(
        Q(member=member) | Q(invited_by=member) | (Q(email__iexact=member.email) & ~Q(email=""))
    )
    return [
        {
            "email": row.email,
            "invited_by": str(row.invited_by),
            "created_at": _when(row.created_at),
            "accepted_at": _when(row.accepted_at),
            "revoked_at": _when(row.revoked_at),
            "for_this_member": row.member_id == member.pk,
        }
        for row in rows.select_related("invited_by").order_by("created_at", "id")
    ]


def member_data(member: User) -> dict[str, Any]:
    sessions = MemberSession.objects.filter(user=member).order_by("signed_in_at", "id")
    return {
        "kind": "staff",
        "id": member.pk,
        "fields": {
            "username": member.username,
            "first_name": member.first_name,
            "last_name": member.last_name,
            "email": member.email,
            "language": member.language,
            "active": member.is_active,
            "joined_at": _when(member.date_joined),
            "last_sign_in": _when(member.last_login),
            "rights": sorted(rights_of(member)),
            "erased_at": _when(member.erased_at),
        },
        "sessions": [
            {"ip": s.ip, "browser": s.user_agent, "signed_in_at": _when(s.signed_in_at)}
            for s in sessions
        ],
        "api_tokens": _tokens(member),
        "two_factors": _two_factors(member),
        "invitations": _invitations(member),
        "emails": _account_emails(member),
        "budget_alerts": _budget_alerts(member),
        "sso_refusals": _sso_refusals(member),
        "audit": _audit_rows(
            AuditEvent.objects.filter(firm_id=member.firm_id).filter(
                Q(actor=member) | Q(target_type="firms.user", target_id=str(member.pk))
            )
        ),
    }
