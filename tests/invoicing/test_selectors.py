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


def test_a_listed_invoice_is_the_invoice_with_its_other_columns_deferred(
    finalized, make_draft, alice, django_assert_num_queries
):
    """The table reads some columns only, and sets them without Model.__init__: what it
    read equals a full read, the rest loads when asked, and the rules on saving hold."""
    from facturier.invoicing.models import Frozen, Invoice
    from facturier.invoicing.selectors import TABLE_FIELDS, invoice_table

    draft = make_draft()
    listed = {i.pk: i for i in invoice_table(user=alice, filters=InvoiceFilters())}
    assert set(listed) == {finalized.pk, draft.pk} and draft.pk != finalized.pk
    for pk, invoice in listed.items():
        full = Invoice.objects.get(pk=pk)
        read = {name.split("__")[0] for name in TABLE_FIELDS} | {"id"}
        fields = Invoice._meta.concrete_fields
        loaded = [f for f in fields if f.name in read or f.attname in read]
        for field in loaded:
            assert getattr(invoice, field.attname) == getattr(full, field.attname)
        assert invoice.get_deferred_fields() == {f.attname for f in fields if f not in loaded}
        assert invoice.client.name == full.client.name
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
