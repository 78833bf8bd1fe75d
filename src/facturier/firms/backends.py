"""The user of a request, read with its rights in one query.

Every page asks a permission or two (firms.permissions.holds) and most whether the
user owns a client (clients.permissions.owned_client_ids); each was a query of its
own after the session's user. This backend reads the user, every permission it
holds (directly or by a group) and the ids of the clients it owns in one statement."""

import functools

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Aggregate, OuterRef, Q, Subquery, TextField, Value
from django.db.models.functions import Cast, Concat

from facturier.core.converters import row_id

from .permissions import remember_held

OWNERS = "clients.Client_owners"  # the owners' table, by name: clients builds on firms


class Joined(Aggregate):
    """A group's texts joined by commas (STRING_AGG; GROUP_CONCAT on SQLite)."""

    function = "STRING_AGG"
    template = "%(function)s(%(distinct)s%(expressions)s, ',')"
    allow_distinct = True
    output_field = TextField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            function="GROUP_CONCAT",
            template="%(function)s(%(distinct)s%(expressions)s)",
            **extra_context,
        )


def held_permissions() -> Subquery:
    """For the outer query's user: "app_label.codename" of each permission held."""
    held = (
        Permission.objects.filter(Q(user=OuterRef("pk")) | Q(group__user=OuterRef("pk")))
        .annotate(held=Concat("content_type__app_label", Value("."), "codename"))
        .annotate(one=Value(1))
        .order_by()
        .values("one")
        .annotate(names=Joined("held", distinct=True))
        .values("names")
    )
    return Subquery(held, output_field=TextField())


def owned_clients() -> Subquery:
    """For the outer query's user: the ids of the clients of its firm it owns."""
    owners = apps.get_model(OWNERS)
    owned = (
        owners.objects.filter(user_id=OuterRef("pk"), client__firm_id=OuterRef("firm_id"))
        .annotate(one=Value(1))
        .order_by()
        .values("one")
        .annotate(ids=Joined(Cast("client_id", TextField())))
        .values("ids")
    )
    return Subquery(owned, output_field=TextField())


SENTINEL = -7_000_001  # the id the statement is compiled with, then replaced


@functools.cache
def _user_query(alias: str) -> tuple[str, tuple]:
    """The user's statement with its rights, compiled once per database: the ORM takes
    twenty times the statement's own time to build it. Its last parameter is the id."""
    queryset = (
        get_user_model()
        ._default_manager.using(alias)
        .annotate(held_names=held_permissions(), owned_ids=owned_clients())
        .filter(pk=SENTINEL)
    )
    sql, params = queryset.query.sql_with_params()
    if not params or params[-1] != SENTINEL:  # a Django that orders them otherwise
        raise ImproperlyConfigured("The user's query does not end with its id.")
    return sql, tuple(params[:-1])


class UserWithPermissions(ModelBackend):
    def get_user(self, user_id):
        user_id = row_id(user_id)
        if user_id is None:
            return None
        sql, params = _user_query(DEFAULT_DB_ALIAS)
        user = next(iter(get_user_model()._default_manager.raw(sql, [*params, user_id])), None)
        if user is None or not self.user_can_authenticate(user):
            return None
        remember_held(user, (user.held_names or "").split(","))
        # What clients.permissions.owned_client_ids keeps for the request.
        user._owned_client_ids = frozenset(
            int(pk) for pk in (user.owned_ids or "").split(",") if pk
        )
        return user
