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

from facturier.core.actions import action
from facturier.core.errors import Invalid, NotAllowed, NotFound
from facturier.firms import audit
from facturier.firms.models import User

from . import permissions
from .events import AuditName
from .models import Client, Contact

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
)
CONTACT_FIELDS = {"name", "email", "is_billing"}

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
