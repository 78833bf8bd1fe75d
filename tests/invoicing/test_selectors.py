import datetime

import pytest

from facturier.invoicing import actions
from facturier.invoicing.selectors import InvoiceFilters, invoice_list

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(make_draft, alice, firm, make_client, template):
    """Two drafts, two finalized, one closed, across two clients."""
    other = make_client(firm, "Zeta Industries")
    other.owners.add(alice)
    d1 = make_draft(issue_date=datetime.date(2026, 1, 10))
    d2 = make_draft(client=other, issue_date=datetime.date(2026, 3, 1))
    f1 = actions.finalize_invoice(make_draft(), by=alice)
    f2 = actions.finalize_invoice(make_draft(client=other), by=alice)
    c1 = actions.close_invoice(actions.finalize_invoice(make_draft(), by=alice), by=alice)
    return {"d1": d1, "d2": d2, "f1": f1, "f2": f2, "c1": c1, "other": other}


def names(queryset, book):
    by_pk = {v.pk: k for k, v in book.items() if k != "other"}
    return [by_pk[pk] for pk in queryset.values_list("pk", flat=True)]


def test_default_hides_closed_newest_first(book, alice):
    listed = names(invoice_list(user=alice), book)
    assert "c1" not in listed
    assert sorted(listed) == ["d1", "d2", "f1", "f2"]
    dates = [i.issue_date for i in invoice_list(user=alice)]
    assert dates == sorted(dates, reverse=True)


def test_closed_filter_shows_only_closed(book, alice):
    listed = invoice_list(user=alice, filters=InvoiceFilters(statuses=frozenset({"closed"})))
    assert names(listed, book) == ["c1"]


def test_any_set_of_statuses(book, alice):
    listed = invoice_list(
        user=alice, filters=InvoiceFilters(statuses=frozenset({"draft", "closed"}))
    )
    assert sorted(names(listed, book)) == ["c1", "d1", "d2"]


def test_client_filter(book, alice):
    listed = invoice_list(user=alice, filters=InvoiceFilters(client_id=book["other"].pk))
    assert sorted(names(listed, book)) == ["d2", "f2"]


def test_date_range(book, alice):
    listed = invoice_list(
        user=alice,
        filters=InvoiceFilters(
            issued_after=datetime.date(2026, 1, 1), issued_before=datetime.date(2026, 2, 1)
        ),
    )
    assert names(listed, book) == ["d1"]


def test_text_search_on_number_and_client_name(book, alice):
    by_client = invoice_list(user=alice, filters=InvoiceFilters(q="zeta"))
    assert sorted(names(by_client, book)) == ["d2", "f2"]
    by_number = invoice_list(user=alice, filters=InvoiceFilters(q=book["f2"].number))
    assert names(by_number, book) == ["f2"]


def test_sort_by_total(book, alice, make_draft):
    big = make_draft(lines=[{"description": "x", "unit_price": "9999", "vat_rate": "20"}])
    listed = list(invoice_list(user=alice, filters=InvoiceFilters(sort="-total")))
    assert listed[0] == big


def test_list_costs_two_queries_whatever_its_length(book, alice, django_assert_num_queries):
    from facturier.firms.models import User

    user = User.objects.get(pk=alice.pk)
    # The processing permission, then the page with its clients.
    with django_assert_num_queries(2):
        rows = [(i.number, i.client.name) for i in invoice_list(user=user)]
    assert len(rows) == 4


def test_text_search_finds_every_client_even_when_many_match(
    alice, firm, make_client, template, monkeypatch
):
    from facturier.invoicing import selectors

    monkeypatch.setattr(selectors, "MAX_LISTED_CLIENTS", 2)
    clients = [make_client(firm, f"Boulangerie {i}") for i in range(4)]
    for client in clients:
        client.owners.add(alice)
    alice._owned_client_ids = None  # cached for a request; the ownership just changed
    for client in clients:
        actions.create_draft(by=alice, client=client, lines=[])
    listed = invoice_list(user=alice, filters=InvoiceFilters(q="boulangerie"))
    assert {i.client.name for i in listed} == {c.name for c in clients}


@pytest.mark.parametrize("source", ["queryset", "statements"])
def test_a_listed_invoice_is_the_invoice_with_its_other_columns_deferred(
    finalized, make_draft, alice, django_assert_num_queries, source
):
    """The table reads some columns only, and sets them without Model.__init__: what it
    read equals a full read, the rest loads when asked, and the rules on saving hold;
    whether the ORM's queryset read them or the page's statements (invoice_rows)."""
    from facturier.invoicing.models import Frozen, Invoice
    from facturier.invoicing.selectors import TABLE_FIELDS, invoice_rows, invoice_table

    draft = make_draft()
    if source == "queryset":
        rows = list(invoice_table(user=alice, filters=InvoiceFilters()))
    else:
        rows = invoice_rows(user=alice, filters=InvoiceFilters())[0:25]
    listed = {i.pk: i for i in rows}
    assert set(listed) == {finalized.pk, draft.pk} and draft.pk != finalized.pk
    for pk, invoice in listed.items():
        full = Invoice.objects.get(pk=pk)
        read = {name.split("__")[0] for name in TABLE_FIELDS} | {"id"}
        fields = Invoice._meta.concrete_fields
        loaded = [f for f in fields if f.name in read or f.attname in read]
        for field in loaded:
            assert getattr(invoice, field.attname) == getattr(full, field.attname)
        assert invoice.get_deferred_fields() == {f.attname for f in fields if f not in loaded}
        assert invoice.client_name == full.client.name
        assert not invoice._state.adding and invoice._state.db == "default"
    issued = listed[finalized.pk]
    with django_assert_num_queries(1):
        assert issued.snapshot == finalized.snapshot  # a deferred column, read on access
    issued.notes = "changed after issue"  # deferred when read, then set: refused
    with pytest.raises(Frozen):
        issued.save()
    issued.refresh_from_db()
    issued.save()  # read whole, unchanged: saved
    listed[draft.pk].notes = "a draft's note"
    listed[draft.pk].save(update_fields=["notes"])
    assert Invoice.objects.get(pk=draft.pk).notes == "a draft's note"


# --- The Invoices page's statements, compiled once per shape ---------------------------

ROWS_CASES = {
    "default": {},
    "closed": {"statuses": frozenset({"closed"})},
    "every status": {"statuses": frozenset({"draft", "finalized", "closed"})},
    "client": {"client_id": "other"},
    "another firm's client": {"client_id": "foreign"},
    "dates": {
        "issued_after": datetime.date(2026, 1, 1),
        "issued_before": datetime.date(2026, 2, 1),
    },
    "unpaid": {"payment": frozenset({"unpaid"})},
    "partly paid": {"payment": frozenset({"partly_paid"})},
    "overdue or unpaid": {"payment": frozenset({"overdue", "unpaid"})},
    "name": {"q": "zeta"},
    "number": {"q": "number"},
    "digits": {"q": "0"},
    "wildcards are text": {"q": "Z%_"},
    "no match": {"q": "nothing like it"},
    "many clients match": {"q": "a", "many": True},
    "many clients, digits": {"q": "2", "many": True},
    "everything": {
        "statuses": frozenset({"finalized", "closed"}),
        "client_id": "other",
        "issued_after": datetime.date(2020, 1, 1),
        "payment": frozenset({"overdue"}),
        "q": "zeta",
        "sort": "-total",
    },
    **{
        f"sort {sort}": {"sort": sort} for sort in ("oldest", "number", "client", "due", "-balance")
    },
    "unknown sort": {"sort": "nonsense"},
}


@pytest.mark.parametrize("case", ROWS_CASES)
def test_the_pages_statements_list_what_the_orm_lists(
    book, staff, make_firm, make_client, make_user, monkeypatch, case
):
    """invoice_rows (the page's SQL, compiled once per shape with stand-ins and run with
    each request's values) pages and counts exactly as the ORM's queryset, for every
    user, and never shows another firm's invoices."""
    from facturier.invoicing import selectors
    from facturier.invoicing.models import Invoice
    from facturier.invoicing.selectors import CappedPaginator, invoice_rows, invoice_table

    foreign_firm = make_firm("Autre cabinet")
    foreign = make_client(foreign_firm, "Zeta Foreign")
    outsider = make_user("eve", foreign_firm, processing=True, owns=[foreign])
    actions.create_draft(by=outsider, client=foreign, lines=[])
    # Partly paid, and overdue: the payment filters have rows to find.
    Invoice.objects.filter(pk=book["f1"].pk).update(balance=book["f1"].total_gross / 2)
    Invoice.objects.filter(pk=book["f2"].pk).update(due_date=datetime.date(2026, 1, 1))
    fields = dict(ROWS_CASES[case])
    if fields.pop("many", False):
        monkeypatch.setattr(selectors, "MAX_LISTED_CLIENTS", 1)
    if fields.get("client_id") == "other":
        fields["client_id"] = book["other"].pk
    elif fields.get("client_id") == "foreign":
        fields["client_id"] = foreign.pk
    if fields.get("q") == "number":
        fields["q"] = book["f2"].number
    filters = InvoiceFilters(**fields)
    seen = 0
    for user in [*staff.values(), outsider]:
        expected = CappedPaginator(invoice_table(user=user, filters=filters), 2)
        paged = CappedPaginator(invoice_rows(user=user, filters=filters), 2)
        assert paged.count == expected.count, user
        seen += expected.count
        for number in expected.page_range:
            rows = list(paged.page(number))
            assert [i.pk for i in rows] == [i.pk for i in expected.page(number)], user
            assert [i.client_name for i in rows] == [i.client_name for i in expected.page(number)]
        if user != outsider:
            assert foreign.pk not in {i.client_id for i in invoice_rows(user=user)[0:100]}
    assert seen or case in ("another firm's client", "wildcards are text", "no match")


def test_the_client_filter_offers_the_clients_each_user_sees(
    staff, firm, make_firm, make_client, make_user
):
    from facturier.clients.permissions import client_choices, visible_clients

    make_client(firm, "Zeta Industries").owners.add(staff["owner_only"])
    make_client(firm, "Alpha Conseil")
    outsider = make_user("eve", make_firm("Autre"), processing=True)
    make_client(outsider.firm, "Beta Foreign")
    for user in [*staff.values(), outsider]:
        expected = list(visible_clients(user).values_list("pk", "name"))
        assert client_choices(user) == expected, user
    assert [name for _, name in client_choices(staff["owner_only"])] == [
        "Client SA",
        "Zeta Industries",
    ]
    assert client_choices(staff["neither"]) == []


def test_an_invoices_lines_in_order_each_knowing_its_invoice(make_draft, django_assert_num_queries):
    from facturier.invoicing.selectors import lines_of

    draft = make_draft(
        lines=[
            {"description": f"Ligne {n}", "quantity": "1", "unit_price": str(n), "vat_rate": "20"}
            for n in (3, 1, 2)
        ]
    )
    make_draft()  # another invoice's lines are not its own
    with django_assert_num_queries(1):
        lines = lines_of(draft)
        assert [line.net_amount for line in lines] == [3, 1, 2]  # reads line.invoice
    assert [line.pk for line in lines] == [line.pk for line in draft.lines.all()]
    assert all(line.invoice is draft for line in lines)
