"""The retention pass: former contacts and former staff past the firm's retention
period are erased, once each (an erased person is never erased again).

The rule: a contact is former when its client is archived; its last activity is the
latest of the client's archiving, an invoice e-mailed to it and a row of the audit
trail about it. A member is former when deactivated; their last activity is the latest
of their joining, their last sign-in and a row of the trail by or about them. Past the
firm's period (3 years by default) after that day, they are erased."""

import datetime

from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext

from facturier.clients.models import Contact
from facturier.core.actions import action
from facturier.firms.models import AuditEvent, Firm, User
from facturier.invoicing.models import EmailDelivery

from .actions import erase_contact, erase_member


def _cutoff(now: datetime.datetime, years: int) -> datetime.datetime:
    try:
        return now.replace(year=now.year - years)
    except ValueError:  # 29 February
        return now.replace(year=now.year - years, day=28)


def _latest(*moments) -> datetime.datetime | None:
    found = [m for m in moments if m is not None]
    return max(found) if found else None


def _contact_last_activity(contact: Contact) -> datetime.datetime | None:
    trail = AuditEvent.objects.filter(
        target_type="clients.contact", target_id=str(contact.pk)
    ).aggregate(last=Max("at"))["last"]
    emailed = None
    wanted = contact.email.lower()
    for created_at, to, cc in EmailDelivery.objects.filter(
        invoice__client_id=contact.client_id
    ).values_list("created_at", "to", "cc"):
        if wanted and wanted in [a.lower() for a in [*to, *cc]]:
            emailed = _latest(emailed, created_at)
    return _latest(contact.client.archived_at, trail, emailed)


def _member_last_activity(member: User) -> datetime.datetime | None:
    trail = AuditEvent.objects.filter(
        Q(actor=member) | Q(target_type="firms.user", target_id=str(member.pk))
    ).aggregate(last=Max("at"))["last"]
    return _latest(member.date_joined, member.last_login, trail)


def _reason(years: int) -> str:
    return gettext("Retention period of %(years)d years past") % {"years": years}


def _firm_pass(firm: Firm, now: datetime.datetime) -> tuple[int, int]:
    years = firm.personal_data_retention_years
    cutoff = _cutoff(now, years)
    contacts = Contact.objects.select_related("client").filter(
        client__firm=firm, client__archived_at__lte=cutoff, erased_at__isnull=True
    )
    erased_contacts = 0
    for contact in contacts:
        if (_contact_last_activity(contact) or now) <= cutoff:
            erase_contact(contact, by=None, reason=_reason(years))
            erased_contacts += 1
    erased_members = 0
    for member in User.objects.filter(firm=firm, is_active=False, erased_at__isnull=True):
        if (_member_last_activity(member) or now) <= cutoff:
            erase_member(member, by=None, reason=_reason(years))
            erased_members += 1
    return erased_contacts, erased_members


@action
def apply_retention(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Erases, in every firm, the former contacts and staff past its retention period;
    returns how many of each. Run again, it finds nobody left to erase."""
    now = now or timezone.now()
    totals = {"contacts": 0, "staff": 0}
    for firm in Firm.objects.order_by("pk"):
        contacts, members = _firm_pass(firm, now)
        totals["contacts"] += contacts
        totals["staff"] += members
    return totals
