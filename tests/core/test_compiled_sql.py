"""core.compiled_sql: the ORM's SQL compiled once with stand-ins, run with other values."""

import pytest
from django.db import connection
from django.db.models.expressions import RawSQL
from django.db.models.functions import Upper

from facturier.clients.models import Client
from facturier.core.compiled_sql import Markers, Unprepared, ValueKind, compile_query, instances

pytestmark = pytest.mark.django_db


def run(statement, values):
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, statement.params(values))
        return [row[0] for row in cursor.fetchall()]


def test_a_statement_runs_again_with_each_values(firm, make_firm, make_client):
    other = make_firm("Autre")
    mine = [make_client(firm, "100% Bio"), make_client(firm, "100 Bio"), make_client(firm, "Bio_x")]
    theirs = make_client(other, "100% Bio")
    markers = Markers()
    clients = Client.objects.filter(
        firm_id=markers.value("firm", ValueKind.INTEGER),
        name__icontains=markers.value("text", ValueKind.PATTERN),
    ).order_by("pk")
    statement = compile_query(clients.values_list("pk", flat=True), markers)
    # % and _ are the searched text, not wildcards, as the ORM has them.
    assert run(statement, {"firm": firm.pk, "text": "100%"}) == [mine[0].pk]
    assert run(statement, {"firm": other.pk, "text": "100%"}) == [theirs.pk]
    assert run(statement, {"firm": firm.pk, "text": "o_x"}) == [mine[2].pk]
    assert run(statement, {"firm": firm.pk, "text": "bio"}) == [c.pk for c in mine]


def test_a_shape_that_matches_nothing_is_no_statement():
    markers = Markers()
    nothing = Client.objects.filter(firm_id=markers.value("firm", ValueKind.INTEGER), pk__in=[])
    assert compile_query(nothing, markers) is None


def test_a_marker_the_statement_cannot_carry_is_refused():
    markers = Markers()
    firm = markers.value("firm", ValueKind.INTEGER)
    written = Client.objects.filter(pk__in=RawSQL(f"SELECT {firm}", []))
    with pytest.raises(Unprepared, match="written"):
        compile_query(written, markers)
    markers = Markers()
    markers.value("firm", ValueKind.INTEGER)  # never used by the queryset
    with pytest.raises(Unprepared, match="not found"):
        compile_query(Client.objects.all(), markers)
    markers = Markers()
    whole = Client.objects.filter(name=markers.value("text", ValueKind.PATTERN))
    with pytest.raises(Unprepared, match="whole"):
        compile_query(whole, markers)


def test_rows_are_read_as_the_models_instances(firm, make_client):
    made = make_client(firm, "Dupont & Fils")
    markers = Markers()
    query = Client.objects.filter(firm_id=markers.value("firm", ValueKind.INTEGER)).only("name")
    statement = compile_query(query.annotate(shout=Upper("name")), markers)
    (client,) = instances(Client, statement, {"firm": firm.pk})
    assert (client.pk, client.name, client.shout) == (made.pk, made.name, "DUPONT & FILS")
    assert client.get_deferred_fields() >= {"city", "firm_id"}
    assert client.city == made.city  # loaded when asked
    nameless = compile_query(query.values_list("name"), markers)
    with pytest.raises(Unprepared, match="primary key"):
        instances(Client, nameless, {"firm": firm.pk})
