"""Reading clients: the Clients list, scoped by what the user may see."""

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from facturier.core.identifiers import compact

from . import permissions
from .models import Client

# What the list shows of each client.
LISTED = ("name", "company_id", "vat_number", "city", "country", "einvoice_address", "archived_at")


@dataclass(frozen=True)
class ClientFilters:
    search: str = ""
    owner_id: int | None = None
    country: str = ""
    archived: bool = False  # archived clients instead of the current ones
    einvoice_address: bool | None = None  # with (True) or without (False) one


def client_list(*, user, filters: ClientFilters) -> QuerySet[Client]:
    """The clients the user sees, by name; archived ones only when asked for."""
    text = filters.search.strip()
    return narrowed(
        permissions.visible_clients(user),
        filters,
        text=text,
        number=compact(text) if text else "",
        country=filters.country.upper(),
    )


def narrowed(clients: QuerySet, filters: ClientFilters, *, text, number, country) -> QuerySet:
    """client_list's filters on `clients`, by name: `text` searched in names, `number`
    (the text compacted, if it may be an identifier) in SIRENs and VAT numbers, the
    `country` in capitals (values a compiled statement's markers may stand in for)."""
    clients = clients.filter(archived_at__isnull=not filters.archived)
    if text:
        match = Q(name__icontains=text)
        if number:
            match |= Q(company_id__startswith=number) | Q(vat_number__icontains=number)
        clients = clients.filter(match)
    if filters.owner_id:
        clients = clients.filter(owners=filters.owner_id)
    if country:
        clients = clients.filter(country=country)
    if filters.einvoice_address is not None:
        clients = (
            clients.exclude(einvoice_address="")
            if filters.einvoice_address
            else (clients.filter(einvoice_address=""))
        )
    return clients.order_by("sort_name", "pk").only(*LISTED)
