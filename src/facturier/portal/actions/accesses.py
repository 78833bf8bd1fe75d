"""Staff give a client's contact the portal, or take it back."""

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from facturier.clients import permissions as client_rights
from facturier.clients.models import Client, Contact
from facturier.core.actions import action
from facturier.core.errors import NotAllowed, NotFound
from facturier.firms import audit
from facturier.firms.models import User

from ..errors import ContactArchived, ContactOfAnotherClient
from ..events import AuditName
from ..models import PortalAccess
from .links import send_link


def may_manage(user, client: Client) -> bool:
    """Who may give and take back a client's portal: as for its contacts (owner and
    processing, or the settings right)."""
    if client_rights.can_administer(user, client.firm_id):
        return True
    return (
        client_rights.in_a_firm(user)
        and user.firm_id == client.firm_id
        and client_rights.lacking_owner_and_processing(user, client.pk) is None
    )


def client_to_manage(client: Client | int, *, by: User) -> Client:
    """The client, locked, if `by` sees it; NotAllowed when they lack the right."""
    pk = client.pk if isinstance(client, Client) else client
    found = Client.objects.select_for_update().select_related("firm").filter(pk=pk).first()
    if found is None or not (
        client_rights.can_administer(by, found.firm_id)
        or client_rights.visible_clients(by).filter(pk=found.pk).exists()
    ):
        raise NotFound(_("No such client."))
    if not may_manage(by, found):
        raise NotAllowed(client_rights.lacking_owner_and_processing(by, found.pk))
    return found


def _contact_of(client: Client, contact: Contact | int) -> Contact:
    pk = contact.pk if isinstance(contact, Contact) else contact
    found = Contact.objects.filter(pk=pk).select_related("client").first()
    if found is None or found.client.firm_id != client.firm_id:
        raise NotFound(_("No such contact."))
    if found.client_id != client.pk:
        raise ContactOfAnotherClient()
    found.client = client
    return found


@action
def invite_contact(
    client: Client | int,
    *,
    by: User,
    contact: Contact | int,
    site: str,
    now: datetime.datetime | None = None,
) -> PortalAccess:
    """Open the portal to one of the client's contacts and e-mail them a first link (in
    their language). Inviting again someone already invited sends a new link."""
    client = client_to_manage(client, by=by)
    contact = _contact_of(client, contact)
    if client.archived_at is not None:
        raise ContactArchived()
    now = now or timezone.now()
    access, created = PortalAccess.objects.select_for_update().get_or_create(
        contact=contact, defaults={"firm": client.firm, "invited_by": by, "invited_at": now}
    )
    if not created:
        access.invited_by, access.invited_at, access.revoked_at = by, now, None
        access.save(update_fields=["invited_by", "invited_at", "revoked_at"])
    audit.record(
        AuditName.ACCESS_GRANTED,
        access,
        by=by,
        firm_id=client.firm_id,
        details={"client": client.pk, "contact": contact.pk, "email": contact.email},
    )
    access.contact = contact
    send_link(access, site=site, now=now, invitation=True)
    return access


@action
def revoke_access(access: PortalAccess | int, *, by: User) -> PortalAccess:
    """The contact no longer gets in: their links and open sessions die now."""
    pk = access.pk if isinstance(access, PortalAccess) else access
    found = (
        PortalAccess.objects.select_for_update()
        .select_related("contact__client")
        .filter(pk=pk, firm_id=getattr(by, "firm_id", None))
        .first()
    )
    if found is None:
        raise NotFound(_("No such portal access."))
    client_to_manage(found.contact.client_id, by=by)
    if found.revoked_at is None:
        found.revoked_at = timezone.now()
        found.save(update_fields=["revoked_at"])
        found.sessions.all().delete()
        found.links.filter(used_at__isnull=True).delete()
        audit.record(
            AuditName.ACCESS_REVOKED,
            found,
            by=by,
            firm_id=found.firm_id,
            details={"client": found.contact.client_id, "contact": found.contact_id},
        )
    return found
