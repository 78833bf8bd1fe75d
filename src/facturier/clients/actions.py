"""Creating and changing client entities (the API and the admin's twin)."""

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from facturier.invoicing import permissions
from facturier.invoicing.errors import Invalid, NotAllowed

from .models import Client, Contact

FIELDS = {
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
    "payment_terms_days",
}


def _apply(client: Client, fields: Mapping[str, Any], contacts) -> Client:
    unknown = set(fields) - FIELDS
    if unknown:
        raise Invalid({name: [_("This field cannot be set.")] for name in sorted(unknown)})
    for name, value in fields.items():
        setattr(client, name, value)
    try:
        client.full_clean(exclude=["firm", "owners"])
    except ValidationError as exc:
        raise Invalid(exc.message_dict) from None
    client.save()
    if contacts is not None:
        client.contacts.all().delete()
        Contact.objects.bulk_create([Contact(client=client, **c) for c in contacts])
    return client


@transaction.atomic
def create_client(*, by, contacts: Sequence[Mapping] | None = None, **fields) -> Client:
    """A new client of the user's firm; the user becomes its owner."""
    if not permissions.can_process(by):
        raise NotAllowed(_("You need the processing permission."))
    client = _apply(Client(firm_id=by.firm_id), fields, contacts or [])
    client.owners.add(by)
    return client


@transaction.atomic
def update_client(client: Client, *, by, contacts=None, **fields) -> Client:
    if not permissions.can_own_and_process(by, client.pk):
        raise NotAllowed(
            _("Only an owner of the client with the processing permission may do this.")
        )
    return _apply(client, fields, contacts)
