"""Creating and changing client entities, from the API and the admin.

Rights, decided on purpose:
- creating a client, and choosing its owners, is firm administration: it needs the
  settings right (an owner is who may finalize and send the client's invoices, so
  nobody makes themselves one);
- changing a client's details needs to own it with the processing permission, or
  the settings right;
- a superuser (the back office) may do both for any firm.
Every change writes an AuditEvent.
"""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from facturier.core import clock, events
from facturier.core.actions import action
from facturier.core.errors import DomainError, Invalid, NotAllowed, NotFound
from facturier.core.identifiers import compact, siren_of
from facturier.firms import audit
from facturier.firms.models import User

from . import permissions
from .events import AuditName, ClientsMerging
from .models import Client, Contact


class HasDocuments(DomainError):
    """A client with invoices, entries, payments or letters is archived, never deleted."""

    code = "client_has_documents"
    status = 409
    default_message = _(
        "This client has documents (invoices, entries, payments or letters): archive it instead."
    )


FIELDS = (
    "name",
    "address_line1",
    "address_line2",
    "postal_code",
    "city",
    "country",
    "language",
    "currency",
    "vat_number",
    "company_id",
    "einvoice_address",
    "payment_terms_days",
    "delivery_address",
    "delivery_postal_code",
    "delivery_city",
    "delivery_country",
)
CONTACT_FIELDS = {"name", "email", "phone", "language", "role", "is_billing"}

NEEDS_SETTINGS_RIGHT = _("Creating clients and choosing their owners needs the settings right.")


def _apply(client: Client, fields: Mapping[str, Any]) -> dict[str, list]:
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise Invalid(
            {name: [_("This field cannot be set.")] for name in sorted(unknown)},
            codes={name: ["read_only"] for name in sorted(unknown)},
        )
    before = audit.values(client, fields)
    for name, value in fields.items():
        setattr(client, name, value)
    try:
        client.full_clean(exclude=["firm", "owners"])
    except ValidationError as exc:
        raise Invalid.from_django(exc) from None
    client.save()
    return audit.changes(before, audit.values(client, fields))


def _replace_contacts(client: Client, contacts: Sequence[Mapping[str, Any]]) -> None:
    errors: dict[str, list[str]] = {}
    built = []
    for index, data in enumerate(contacts):
        unknown = set(data) - CONTACT_FIELDS
        if unknown:
            errors[f"contacts.{index}"] = [_("Unknown fields: %s") % ", ".join(sorted(unknown))]
            continue
        contact = Contact(client=client, **data)
        try:
            contact.full_clean(exclude=["client"], validate_constraints=False)
        except ValidationError as exc:
            errors.update(Invalid.from_django(exc, prefix=f"contacts.{index}.").errors)
        built.append(contact)
    if sum(1 for c in built if c.is_billing) > 1:
        errors["contacts"] = [_("A client has one billing contact.")]
    if errors:
        raise Invalid(errors)
    client.contacts.all().delete()
    Contact.objects.bulk_create(built)


def _set_owners(client: Client, owners: Iterable[User | int]) -> None:
    ids = {o.pk if isinstance(o, User) else o for o in owners}
    found = set(
        User.objects.filter(pk__in=ids, firm_id=client.firm_id).values_list("pk", flat=True)
    )
    if found != ids:
        raise Invalid(
            {"owners": [_("Owners are staff of the client's firm.")]}, codes={"owners": ["invalid"]}
        )
    client.owners.set(found)


@action
def create_client(
    *,
    by: User,
    contacts: Sequence[Mapping] | None = None,
    owners: Iterable[User | int] | None = None,
    firm_id: int | None = None,
    **fields,
) -> Client:
    """A new client of the user's firm; its owners default to the user."""
    if firm_id is None or not (by.is_active and by.is_superuser):
        firm_id = by.firm_id
    if not firm_id or not permissions.can_administer(by, firm_id):
        raise NotAllowed(NEEDS_SETTINGS_RIGHT)
    client = Client(firm_id=firm_id)
    _apply(client, fields)
    _replace_contacts(client, contacts or [])
    _set_owners(client, owners if owners is not None else [by])
    audit.record(
        AuditName.CLIENT_CREATED,
        client,
        by=by,
        firm_id=firm_id,
        details={"owners": sorted(client.owners.values_list("pk", flat=True))},
    )
    return client


@action
def update_client(
    client: Client | int,
    *,
    by: User,
    contacts: Sequence[Mapping] | None = None,
    owners: Iterable[User | int] | None = None,
    **fields,
) -> Client:
    """Change a client's details; its contacts and owners when given."""
    pk = client.pk if isinstance(client, Client) else client
    client = Client.objects.select_for_update().filter(pk=pk).first()
    administer = client is not None and permissions.can_administer(by, client.firm_id)
    if client is None or not (
        administer or permissions.visible_clients(by).filter(pk=client.pk).exists()
    ):
        raise NotFound(_("No such client."))
    lack = permissions.lacking_owner_and_processing(by, client.pk)
    if not administer and lack is not None:
        raise NotAllowed(lack)
    if owners is not None and not administer:
        raise NotAllowed(NEEDS_SETTINGS_RIGHT)
    changed = _apply(client, fields)
    if contacts is not None:
        _replace_contacts(client, contacts)
        changed["contacts"] = len(contacts)
    if owners is not None:
        _set_owners(client, owners)
        changed["owners"] = sorted(client.owners.values_list("pk", flat=True))
    if changed:
        audit.record(
            AuditName.CLIENT_CHANGED, client, by=by, firm_id=client.firm_id, details=changed
        )
    return client


@action
def set_owned_clients(member: User | int, *, by: User, client_ids: Iterable[int]) -> list[int]:
    """Which clients of the firm `member` owns (the Staff page's side of choosing owners:
    the settings right). Returns the ids owned after."""
    pk = member.pk if isinstance(member, User) else member
    member = User.objects.filter(pk=pk, firm_id=by.firm_id).first() if by.firm_id else None
    if member is None or not permissions.can_administer(by, by.firm_id):
        if member is None and permissions.can_administer(by, by.firm_id):
            raise NotFound(_("No such member of staff."))
        raise NotAllowed(NEEDS_SETTINGS_RIGHT)
    wanted = set(client_ids)
    firm_clients = Client.objects.filter(firm_id=by.firm_id)
    found = set(firm_clients.filter(pk__in=wanted).values_list("pk", flat=True))
    if found != wanted:
        raise Invalid(
            {"clients": [_("Choose clients of your firm.")]}, codes={"clients": ["invalid_choice"]}
        )
    through = Client.owners.through
    before = set(
        through.objects.filter(user_id=member.pk, client__firm_id=by.firm_id).values_list(
            "client_id", flat=True
        )
    )
    if before == wanted:
        return sorted(wanted)
    through.objects.filter(user_id=member.pk, client_id__in=before - wanted).delete()
    through.objects.bulk_create(
        [through(user_id=member.pk, client_id=pk) for pk in sorted(wanted - before)]
    )
    audit.record(
        AuditName.OWNERSHIPS_CHANGED,
        member,
        by=by,
        firm_id=by.firm_id,
        details={"added": sorted(wanted - before), "removed": sorted(before - wanted)},
    )
    return sorted(wanted)


def _client_to_manage(client: Client | int, *, by: User, administer_only: bool) -> Client:
    """The client, locked, if the user may see it; NotAllowed when they lack the right."""
    pk = client.pk if isinstance(client, Client) else client
    found = Client.objects.select_for_update().filter(pk=pk).first()
    administer = found is not None and permissions.can_administer(by, found.firm_id)
    if found is None or not (
        administer or permissions.visible_clients(by).filter(pk=found.pk).exists()
    ):
        raise NotFound(_("No such client."))
    if administer_only and not administer:
        raise NotAllowed(NEEDS_SETTINGS_RIGHT)
    if not administer:
        lack = permissions.lacking_owner_and_processing(by, found.pk)
        if lack is not None:
            raise NotAllowed(lack)
    return found


@action
def archive_client(client: Client | int, *, by: User, archived: bool = True) -> Client:
    """Hide a client from the lists and choices (or bring it back); its documents stay."""
    client = _client_to_manage(client, by=by, administer_only=True)
    if bool(client.archived_at) == archived:
        return client
    client.archived_at = clock.now() if archived else None
    client.save(update_fields=["archived_at"])
    name = AuditName.CLIENT_ARCHIVED if archived else AuditName.CLIENT_RESTORED
    audit.record(name, client, by=by, firm_id=client.firm_id)
    return client


# Rows that belong to the client itself and go with it; anything else is a document.
KEPT_WITH_CLIENT = frozenset({"clients.contact", "work.wipmonth", "work.wiptoday"})
KEPT_WITH_CLIENT |= {"receivables.reminderpause"}


def has_documents(client: Client) -> bool:
    """Any invoice, entry, payment, letter... of any app naming this client."""
    for relation in client._meta.related_objects:
        if relation.many_to_many or relation.related_model._meta.label_lower in KEPT_WITH_CLIENT:
            continue
        manager = relation.related_model._base_manager
        if manager.filter(**{relation.field.name: client}).exists():
            return True
    return False


@action
def delete_client(client: Client | int, *, by: User) -> None:
    """Delete a client created by mistake: only one without any document."""
    client = _client_to_manage(client, by=by, administer_only=True)
    if has_documents(client):
        raise HasDocuments()
    audit.record(
        AuditName.CLIENT_DELETED,
        client,
        by=by,
        firm_id=client.firm_id,
        details={"name": client.name, "company_id": client.company_id},
    )
    client.delete()


class MergeConflict(DomainError):
    """Two clients that differ in currency or identifiers are two clients."""

    code = "merge_conflict"
    status = 409
    default_message = _("These clients cannot be merged: %(reason)s")


def _merge_refusal(kept: Client, merged: Client) -> str | None:
    if kept.pk == merged.pk:
        return _("a client cannot be merged into itself.")
    if kept.currency != merged.currency:
        return _("their currencies differ (%(a)s, %(b)s).") % {
            "a": kept.currency,
            "b": merged.currency,
        }
    sirens = {siren_of(c.company_id) for c in (kept, merged) if siren_of(c.company_id)}
    if len(sirens) > 1:
        return _("their SIRENs differ.")
    vats = {compact(c.vat_number) for c in (kept, merged) if c.vat_number}
    if len(vats) > 1:
        return _("their VAT numbers differ.")
    return None


def _move_rows(kept: Client, merged: Client) -> dict[str, int]:
    """Every row of any app naming `merged` now names `kept`; a one-per-client row
    `kept` has already (a reminder pause) goes with `merged`."""
    moved = {}
    for relation in merged._meta.related_objects:
        if relation.many_to_many or relation.related_model is Contact:
            continue
        manager = relation.related_model._base_manager
        rows = manager.filter(**{relation.field.name: merged})
        if relation.one_to_one and manager.filter(**{relation.field.name: kept}).exists():
            continue
        count = rows.update(**{relation.field.name: kept})
        if count:
            moved[relation.related_model._meta.label_lower] = count
    contacts = merged.contacts.all()
    if kept.contacts.filter(is_billing=True).exists():
        contacts.filter(is_billing=True).update(is_billing=False)
    moved["clients.contact"] = contacts.update(client=kept)
    return moved


@action
def merge_clients(kept: Client | int, *, by: User, merged: Client | int) -> Client:
    """Fold a client created twice into the one kept: its documents, entries, payments,
    letters, contacts and owners move there; the other is deleted. Refused when their
    currencies or identifiers differ."""
    kept = _client_to_manage(kept, by=by, administer_only=True)
    merged = _client_to_manage(merged, by=by, administer_only=True)
    if kept.firm_id != merged.firm_id:
        raise NotFound(_("No such client."))
    reason = _merge_refusal(kept, merged)
    if reason:
        raise MergeConflict(reason=reason)
    events.publish(ClientsMerging(firm_id=kept.firm_id, kept_id=kept.pk, merged_id=merged.pk))
    moved = _move_rows(kept, merged)
    kept.owners.add(*merged.owners.all())
    filled = {
        name: getattr(merged, name)
        for name in FIELDS
        if not getattr(kept, name) and getattr(merged, name)
    }
    audit.record(
        AuditName.CLIENT_MERGED,
        kept,
        by=by,
        firm_id=kept.firm_id,
        details={"merged": merged.pk, "name": merged.name, "moved": moved, "filled": filled},
    )
    merged.delete()
    if filled:
        _apply(kept, filled)
    return kept


def _checked_contact(contact: Contact, fields: Mapping[str, Any]) -> dict[str, list]:
    unknown = set(fields) - CONTACT_FIELDS
    if unknown:
        raise Invalid(
            {name: [_("This field cannot be set.")] for name in sorted(unknown)},
            codes={name: ["read_only"] for name in sorted(unknown)},
        )
    before = audit.values(contact, fields)
    for name, value in fields.items():
        setattr(contact, name, value)
    if contact.is_billing:
        others = contact.client.contacts.filter(is_billing=True).exclude(pk=contact.pk)
        if others.exists():
            raise Invalid(
                {"is_billing": [_("A client has one billing contact.")]},
                codes={"is_billing": ["one_billing_contact"]},
            )
    try:
        contact.full_clean(exclude=["client"], validate_constraints=False)
    except ValidationError as exc:
        raise Invalid.from_django(exc) from None
    contact.save()
    return audit.changes(before, audit.values(contact, fields))


def _contact_to_manage(contact: Contact | int, *, by: User) -> Contact:
    pk = contact.pk if isinstance(contact, Contact) else contact
    found = Contact.objects.filter(pk=pk).values_list("client_id", flat=True).first()
    if found is None:
        raise NotFound(_("No such contact."))
    client = _client_to_manage(found, by=by, administer_only=False)
    contact = Contact.objects.get(pk=pk)
    contact.client = client
    return contact


@action
def add_contact(client: Client | int, *, by: User, **fields) -> Contact:
    """A new person at the client (the billing contact when is_billing)."""
    client = _client_to_manage(client, by=by, administer_only=False)
    contact = Contact(client=client)
    _checked_contact(contact, fields)
    audit.record(
        AuditName.CONTACT_ADDED,
        client,
        by=by,
        firm_id=client.firm_id,
        details={"contact": contact.pk, "name": contact.name, "email": contact.email},
    )
    return contact


@action
def update_contact(contact: Contact | int, *, by: User, **fields) -> Contact:
    """Change a contact's details."""
    contact = _contact_to_manage(contact, by=by)
    changed = _checked_contact(contact, fields)
    if changed:
        audit.record(
            AuditName.CONTACT_CHANGED,
            contact.client,
            by=by,
            firm_id=contact.client.firm_id,
            details={"contact": contact.pk, **changed},
        )
    return contact


@action
def remove_contact(contact: Contact | int, *, by: User) -> None:
    """Remove a person from the client's contacts."""
    contact = _contact_to_manage(contact, by=by)
    audit.record(
        AuditName.CONTACT_REMOVED,
        contact.client,
        by=by,
        firm_id=contact.client.firm_id,
        details={"contact": contact.pk, "name": contact.name, "email": contact.email},
    )
    contact.delete()
