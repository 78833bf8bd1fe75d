"""Who may see and change client entities; the two facts every right is built from.

Two facts about a user decide every right in the firm: do they hold the
processing permission, and which clients do they own. Both are read once per
request and kept on the user object.
"""

import functools
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from facturier.core.compiled_sql import (
    CompiledQuery,
    Markers,
    ValueKind,
    compile_query,
    instances,
)
from facturier.firms.permissions import can_manage_settings, holds, remember_held

from .models import Client

# The permission's codename stays under the invoicing app, where it was first declared.
PROCESS_PERMISSION = "invoicing.process_invoices"

# What a user lacks, said as such (every refusal of these rights reads them).
NOT_OWNER = _("You are not an owner of this client.")
NO_PROCESSING = _("You lack the processing permission.")
NEITHER = _("You are not an owner of this client and you lack the processing permission.")


def in_a_firm(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.firm_id)


def can_process(user) -> bool:
    """The processing permission, given to the user or to one of their groups (one
    query, cached on the user object for the request)."""
    return in_a_firm(user) and holds(user, PROCESS_PERMISSION)


def owned_client_ids(user) -> frozenset[int]:
    """The ids of the clients the user owns, cached on the user object for a request."""
    if not in_a_firm(user):
        return frozenset()
    cached = getattr(user, "_owned_client_ids", None)
    if cached is None:
        cached = frozenset(
            Client.owners.through.objects.filter(
                user_id=user.pk, client__firm_id=user.firm_id
            ).values_list("client_id", flat=True)
        )
        user._owned_client_ids = cached
    return cached


@dataclass(frozen=True)
class Rights:
    """The two facts, as read for one user (None: not read)."""

    held: frozenset[str] | None
    owned: frozenset[int] | None


def read_rights(user) -> Rights:
    """The two facts as kept on `user`, read now if they were not."""
    can_process(user)
    owned_client_ids(user)
    held = getattr(user, "_held_permissions", None)
    return Rights(held, getattr(user, "_owned_client_ids", None))


def lend_rights(user, rights: Rights) -> None:
    """Keep on another object for the same user the two facts read for the first, as if
    read for it: for a pass that reads the same user again for each row it handles."""
    if rights.held is not None:
        remember_held(user, rights.held)
    if rights.owned is not None:
        user._owned_client_ids = rights.owned


def owns(user, client_id: int | None) -> bool:
    return client_id is not None and client_id in owned_client_ids(user)


def visible_clients(user) -> QuerySet[Client]:
    """Owners see their clients; the processing permission sees the firm's."""
    if not in_a_firm(user):
        return Client.objects.none()
    clients = Client.objects.filter(firm_id=user.firm_id)
    return clients if can_process(user) else clients.filter(owners=user)


def visible_client_ids(user, ids: Iterable[int]) -> set[int]:
    """Which of the clients `ids` the user sees (as visible_clients): one query for a
    batch of drafts, where visible_client reads one client."""
    return set(visible_clients(user).filter(pk__in=list(ids)).values_list("pk", flat=True))


def visible_client(user, pk: int | None) -> Client | None:
    """The client `pk` with its firm, if the user sees it (as visible_clients says): read
    for each draft made (but those a billing run writes together), from a statement
    compiled once."""
    if pk is None or not in_a_firm(user):
        return None
    statement = _visible_statement(connection.vendor, can_process(user))
    values = {"pk": pk, "firm": user.firm_id, "user": user.pk}
    found = instances(Client, statement, values, related=("firm",))
    return found[0] if found else None


@functools.lru_cache(maxsize=4)
def _visible_statement(vendor: str, processing: bool) -> CompiledQuery:
    markers = Markers()
    clients = _seen(markers, processing).filter(pk=markers.value("pk", ValueKind.INTEGER))
    return compile_query(clients.select_related("firm").order_by(), markers)


def client_choices(user) -> list[tuple[int, str]]:
    """(id, name) of the clients the user sees, by name: a filter's list, on each page
    view, from a statement compiled once (core.compiled_sql)."""
    if not in_a_firm(user):
        return []
    processing = can_process(user)
    statement = _choices_statement(connection.vendor, processing)
    return statement.rows({"firm": user.firm_id, "user": user.pk})


@functools.lru_cache(maxsize=4)
def _choices_statement(vendor: str, processing: bool) -> CompiledQuery:
    markers = Markers()
    return compile_query(_seen(markers, processing).values_list("pk", "name"), markers)


def _seen(markers: Markers, processing: bool):
    """The clients a user sees, the firm and the user as markers: all the firm's with the
    processing permission, the ones they own without it (as visible_clients)."""
    clients = Client.objects.filter(firm_id=markers.value("firm", ValueKind.INTEGER))
    if not processing:
        clients = clients.filter(owners=markers.value("user", ValueKind.INTEGER))
    return clients


def owned_clients_q(user, field: str = "client_id") -> Q:
    owned = Client.owners.through.objects.filter(user_id=user.pk).values("client_id")
    return Q(**{f"{field}__in": owned})


def lacking_processing(user):
    """The refusal message for a user without the processing permission, or None."""
    return None if can_process(user) else NO_PROCESSING


def lacking_owner_and_processing(user, client_id: int | None):
    """What the user lacks to act as an owner of the client with the processing permission."""
    owner, processing = owns(user, client_id), can_process(user)
    if owner and processing:
        return None
    if not (owner or processing):
        return NEITHER
    return NO_PROCESSING if owner else NOT_OWNER


def can_administer(user, firm_id: int | None) -> bool:
    """Creating clients and choosing owners: the settings right in that firm, or the back
    office (a superuser)."""
    if user.is_authenticated and user.is_active and user.is_superuser:
        return True
    return bool(firm_id) and can_manage_settings(user) and user.firm_id == firm_id
