"""Who may see and do what, declared once.

Two facts about a user decide everything: do they hold the processing
permission, and which clients do they own. `visible_invoices` and each
`can_*` are built from the same two facts, so the list a user sees and what
they may act on cannot disagree (tests check them against each other).

| action                               | needs                                  |
| ------------------------------------ | -------------------------------------- |
| see                                  | same firm, and owner or processing     |
| create, edit, delete, finalize, send | same firm, owner of the client AND processing |
| close, revert to finalized           | same firm, processing                  |
"""

from django.contrib.auth.models import Permission
from django.db.models import Q, QuerySet

from facturier.clients.models import Client

from .models import Invoice

PROCESS_PERMISSION = "invoicing.process_invoices"
TEMPLATES_PERMISSION = "invoicing.manage_templates"


def can_process(user) -> bool:
    """The processing permission, given to the user or to one of their groups.

    One EXISTS query, cached on the user object for the request: the same answer as
    user.has_perm() with the model backend, without loading every permission.
    """
    if not (user.is_authenticated and user.is_active and user.firm_id):
        return False
    cached = getattr(user, "_can_process", None)
    if cached is None:
        if user.is_superuser:
            cached = True
        else:
            app_label, codename = PROCESS_PERMISSION.split(".")
            cached = Permission.objects.filter(
                Q(user=user) | Q(group__user=user),
                codename=codename,
                content_type__app_label=app_label,
            ).exists()
        user._can_process = cached
    return cached


def owned_client_ids(user) -> frozenset[int]:
    """The ids of the clients the user owns, cached on the user object for a request."""
    if not user.is_authenticated or not user.firm_id:
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


def visible_clients(user) -> QuerySet[Client]:
    if not user.is_authenticated or not user.firm_id:
        return Client.objects.none()
    clients = Client.objects.filter(firm_id=user.firm_id)
    return clients if can_process(user) else clients.filter(owners=user)


def _owned_clients_q(user, field: str = "client_id") -> Q:
    owned = Client.owners.through.objects.filter(user_id=user.pk).values("client_id")
    return Q(**{f"{field}__in": owned})


def visible_invoices_q(user) -> Q:
    if not user.is_authenticated or not user.firm_id:
        return Q(pk__in=[])
    same_firm = Q(firm_id=user.firm_id)
    return same_firm if can_process(user) else same_firm & _owned_clients_q(user)


def visible_invoices(user) -> QuerySet[Invoice]:
    return Invoice.objects.filter(visible_invoices_q(user))


def can_view(user, invoice: Invoice) -> bool:
    if not user.is_authenticated or invoice.firm_id != user.firm_id or not user.firm_id:
        return False
    return can_process(user) or invoice.client_id in owned_client_ids(user)


def can_own_and_process(user, client_id: int | None) -> bool:
    return can_process(user) and client_id in owned_client_ids(user)


def can_create(user, client: Client) -> bool:
    return client.firm_id == user.firm_id and can_own_and_process(user, client.pk)


def can_edit(user, invoice: Invoice) -> bool:
    return can_view(user, invoice) and can_own_and_process(user, invoice.client_id)


can_delete = can_edit
can_finalize = can_edit
can_send = can_edit


def can_close(user, invoice: Invoice) -> bool:
    return can_view(user, invoice) and can_process(user)


can_reopen = can_close
