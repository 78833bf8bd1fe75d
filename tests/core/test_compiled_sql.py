"""core.compiled_sql: the ORM's SQL compiled once with stand-ins, run with other values."""

import pytest
from django.db import connection
from django.db.models.expressions import RawSQL
from django.db.models.functions import Upper
from django.utils import timezone

from facturier.clients.models import Client
from facturier.core.compiled_sql import (
    Markers,
    Unprepared,
    ValueKind,
    compile_query,
    insert,
    instances,
)
from facturier.firms.models import AuditEvent

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


def test_inserted_rows_are_those_bulk_create_writes(firm, make_client):
    client = make_client(firm, "Dupont & Fils")
    details = {"amount": "12.50", "names": ["é", "ß"]}
    at = timezone.now()
    events = [
        AuditEvent(
            firm=firm, at=at, action="client.created", target_id=str(client.pk), details=details
        ),
        AuditEvent(firm=firm, at=at, action="client.changed", target_id=str(client.pk)),
    ]
    insert(events)
    written = AuditEvent.objects.filter(target_id=str(client.pk)).order_by("pk")
    assert [event.pk for event in events] == list(written.values_list("pk", flat=True))
    assert not events[0]._state.adding
    read = AuditEvent.objects.get(pk=events[0].pk)
    assert (read.action, read.details, read.at) == ("client.created", details, events[0].at)
    insert([])  # nothing to write, no statement


def test_a_row_naming_an_unsaved_object_is_refused_as_save_refuses_it(firm, make_client):
    """insert() checks each relation as Model.save() does: a key to an object never
    saved would be written as NULL (data lost), so nothing is written; one saved since
    it was assigned gives its key."""
    import datetime

    from facturier.invoicing.models import Invoice, InvoiceLine

    client = make_client(firm, "Dupont & Fils")
    invoice = Invoice(
        firm=firm,
        client=client,
        currency="EUR",
        payment_terms_days=30,
        issue_date=datetime.date(2027, 1, 1),
    )
    line = InvoiceLine(invoice=invoice, description="Honoraires", unit_price=1, vat_rate=20)
    with pytest.raises(ValueError, match="unsaved related object 'invoice'"):
        insert([line])
    assert not InvoiceLine.objects.exists()
    line = InvoiceLine(invoice=invoice, description="Honoraires", unit_price=1, vat_rate=20)
    before = timezone.now()
    insert([invoice])
    insert([line])
    assert InvoiceLine.objects.get(pk=line.pk).invoice_id == invoice.pk
    # The row is stamped as save() stamps it (auto_now_add), the other dates kept.
    written = Invoice.objects.get(pk=invoice.pk)
    assert written.created_at >= before and written.created_at == invoice.created_at
    assert written.issue_date == datetime.date(2027, 1, 1)


def test_values_repeated_in_a_batch_are_written_as_each_alone(firm, make_client):
    """insert() prepares an equal value once per field and statement: equal values of
    other forms (another exponent, another time zone), the same value in two fields, and
    NULL in several fields all read back as save() writes them."""
    import datetime
    from decimal import Decimal

    from facturier.invoicing.models import Invoice

    client = make_client(firm, "Dupont & Fils")
    paris = datetime.timezone(datetime.timedelta(hours=1))
    at = datetime.datetime(2027, 1, 1, 9, tzinfo=datetime.UTC)

    def drafts(total, when):
        return [
            Invoice(
                firm=firm,
                client=client,
                issue_date=datetime.date(2027, 1, 1),
                payment_terms_days=30,
                currency="EUR",
                total_net=total,
                total_vat=Decimal("0"),
                total_gross=total,
                exchange_rate=None,
                finalized_at=when,
            )
            for _ in range(2)
        ]

    batch = drafts(Decimal("12.5"), at) + drafts(Decimal("12.50"), at.astimezone(paris))
    insert(batch)
    alone = drafts(Decimal("12.5"), at)[0]
    alone.save()
    fields = ("total_net", "total_vat", "total_gross", "exchange_rate", "issue_date")
    fields += ("finalized_at",)
    expected = Invoice.objects.values(*fields).get(pk=alone.pk)
    written = Invoice.objects.filter(pk__in=[i.pk for i in batch]).values(*fields)
    assert list(written) == [expected] * 4
    events = [
        AuditEvent(firm=firm, at=at, action="client.changed", details={}),
        AuditEvent(firm=None, at=at.astimezone(paris), action="client.changed", details={}),
        AuditEvent(firm=None, at=at, action="client.changed", details={"n": 1}),
    ]
    insert(events)
    read = AuditEvent.objects.filter(pk__in=[e.pk for e in events]).order_by("pk")
    assert [(e.firm_id, e.at, e.details) for e in read] == [
        (firm.pk, at, {}),
        (None, at, {}),
        (None, at, {"n": 1}),
    ]


def test_a_visible_client_is_read_as_visible_clients_says(firm, make_firm, make_client, make_user):
    from facturier.clients.permissions import visible_client, visible_clients

    mine, other = make_client(firm, "Dupont"), make_client(firm, "Durand")
    elsewhere = make_client(make_firm("Autre"), "Martin")
    owner = make_user("owner", firm, owns=[mine])
    processing = make_user("processing", firm, processing=True)
    for user in (owner, processing):
        for pk in (mine.pk, other.pk, elsewhere.pk):
            found = visible_client(user, pk)
            assert found == visible_clients(user).filter(pk=pk).first()
            assert found is None or found.firm == firm  # read with it
        assert visible_client(user, None) is None
    assert visible_client(owner, other.pk) is None and visible_client(processing, other.pk)


SAMPLES = {str: ["", "Dupont & Fils", "é"], int: [0, 7, -3, 2**40], bool: [True, False]}


def test_a_value_written_as_it_is_is_what_django_would_write():
    """Every field of every model: where insert() keeps a value as it is, get_db_prep_save
    gives it back unchanged (and of the same type); the others go through it."""
    from django.apps import apps

    from facturier.core.compiled_sql import _as_is

    kept = 0
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            as_is = _as_is(field, connection.vendor)
            for kind in as_is - {type(None)}:
                for value in SAMPLES[kind]:
                    written = field.get_db_prep_save(value, connection)
                    assert (type(written), written) == (kind, value), (field, value)
                    kept += 1
            if type(None) in as_is:
                assert field.get_db_prep_save(None, connection) is None, field
    assert kept > 1000  # the check saw the common fields
    json_field = AuditEvent._meta.get_field("details")
    assert _as_is(json_field, connection.vendor) == frozenset()
