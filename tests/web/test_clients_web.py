"""The Clients tab: the list and its filters, a client's details, contacts, archiving,
and the CSV import, in French."""

import html
import re

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from facturier.clients.models import Client, Contact

pytestmark = pytest.mark.django_db
FRENCH = {"HTTP_ACCEPT_LANGUAGE": "fr"}


@pytest.fixture
def manager(alice):
    alice.user_permissions.add(Permission.objects.get(codename="manage_templates"))
    return type(alice).objects.get(pk=alice.pk)


def names_listed(response) -> list[str]:
    table = response.content.decode().split('id="client-table"')[1].split("</table>")[0]
    return re.findall(r'/billing/clients/\d+/">([^<]+)</a>', table)


NEW = {
    "name": "Boulangerie Dupont",
    "language": "fr",
    "currency": "EUR",
    "country": "FR",
    "company_id": "732829320",
    "vat_number": "FR44732829320",
    "payment_terms_days": "45",
    "address_line1": "3 rue Neuve",
    "postal_code": "69001",
    "city": "Lyon",
}


def test_creating_a_client_in_french(client, manager):
    client.force_login(manager)
    page = client.get(reverse("billing:client_new"), **FRENCH).content.decode()
    assert "Nouveau client" in page and "Adresse de livraison" in page
    response = client.post(reverse("billing:client_new"), {**NEW, "owners": [manager.pk]})
    created = Client.objects.get(name="Boulangerie Dupont")
    assert response.status_code == 302 and response["Location"].endswith(f"/{created.pk}/")
    assert list(created.owners.all()) == [manager] and created.payment_terms_days == 45
    account = client.get(response["Location"], **FRENCH).content.decode()
    assert "732829320" in account and "45 jours" in account and "Ajouter un contact" in account
    # Labels start with a capital, as the form's do: not "n° de TVA" beside "SIREN"
    assert "<dt>N° de TVA intracommunautaire</dt>" in account
    listed = client.get(reverse("billing:clients"), **FRENCH).content.decode()
    assert ">N° de TVA intracommunautaire</th>" in listed


def test_an_invalid_siren_is_refused_beside_its_field(client, manager):
    client.force_login(manager)
    response = client.post(
        reverse("billing:client_new"), {**NEW, "company_id": "732829321"}, **FRENCH
    )
    assert response.status_code == 422
    page = response.content.decode()
    field = page.split('name="company_id"')[1].split("</div>")[0]
    assert (
        '<small class="field-error" role="alert">732829321 n&#x27;est pas un SIREN valide' in field
    )
    assert not Client.objects.filter(name="Boulangerie Dupont").exists()
    # A screen reader reads the refusal with the field: every id a control says it is
    # described by is on the page (Django names the errors' <id>_error).
    described = re.findall(r'aria-describedby="([^"]+)"', page)
    assert "id_company_id_error" in " ".join(described)
    for ids in described:
        for name in ids.split():
            assert f'id="{name}"' in page, name


def test_the_list_searches_filters_and_hides_archived_clients(
    client, manager, firm, make_client, client_entity
):
    make_client(firm, "Zèbre SARL", company_id="552100554", country="FR")
    make_client(firm, "Berlin GmbH", country="DE", einvoice_address="0204:991-1234")
    archived = make_client(firm, "Ancien client")
    client.force_login(manager)
    client.post(reverse("billing:client_archive", args=[archived.pk]), {"archived": "1"})
    url = reverse("billing:clients")
    listed = client.get(url, **FRENCH)
    assert "archivés masqués" in listed.content.decode()
    assert names_listed(listed) == ["Berlin GmbH", "Client SA", "Zèbre SARL"]
    assert names_listed(client.get(url, {"q": "552 100"})) == ["Zèbre SARL"]
    assert names_listed(client.get(url, {"country": "de"})) == ["Berlin GmbH"]
    assert names_listed(client.get(url, {"einvoice": "yes"})) == ["Berlin GmbH"]
    assert names_listed(client.get(url, {"archived": "1"})) == ["Ancien client"]
    assert names_listed(client.get(url, {"owing": "1"})) == []


def test_an_owner_without_the_settings_right_edits_but_does_not_create(client, staff):
    alice, bob = staff["owner_processor"], staff["owner_only"]
    client.force_login(bob)
    assert client.get(reverse("billing:client_new")).status_code == 403
    client.force_login(alice)
    assert client.get(reverse("billing:client_new")).status_code == 403
    entity = alice.owned_clients.get()
    response = client.post(
        reverse("billing:contact_new", args=[entity.pk]),
        {"name": "Paul", "email": "paul@client.example", "phone": "06 12", "language": "en"},
    )
    assert response.status_code == 302
    contact = Contact.objects.get(name="Paul")
    assert (contact.phone, contact.language) == ("06 12", "en")
    client.post(reverse("billing:contact_remove", args=[contact.pk]))
    assert not Contact.objects.filter(name="Paul").exists()


def test_a_client_with_an_invoice_cannot_be_deleted(client, manager, draft, client_entity):
    client.force_login(manager)
    page = client.get(reverse("billing:client_account", args=[client_entity.pk]), **FRENCH)
    assert "Ce client a des documents" in page.content.decode()
    client.post(reverse("billing:client_delete", args=[client_entity.pk]))
    assert Client.objects.filter(pk=client_entity.pk).exists()


def test_the_import_page_lists_the_refused_row_in_french(client, manager):
    client.force_login(manager)
    data = "nom;siren\nBon;732829320\nMauvais;732829321\n".encode("cp1252")
    upload = SimpleUploadedFile("clients.csv", data, content_type="text/csv")
    response = client.post(
        reverse("billing:clients_import"), {"file": upload, "dry_run": "1"}, **FRENCH
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "1 ligne refusée sur 2 : aucun client n'a été créé." in page
    assert "<td>3</td><td>siren</td>" in page
    assert not Client.objects.filter(name="Bon").exists()


def test_the_import_page_names_each_refused_column_as_the_file_does(client, manager):
    """A French file's refusals name its own columns ("Pays", "Délai de paiement"), never
    the internal English names (country, payment_terms_days) its writer never typed."""
    client.force_login(manager)
    data = (
        "Nom;Pays;Délai de paiement;Courriel\r\nCrèmerie Thérèse;Francia;trente;pas-une-adresse\r\n"
    ).encode("cp1252")
    upload = SimpleUploadedFile("clients.csv", data, content_type="text/csv")
    response = client.post(
        reverse("billing:clients_import"), {"file": upload, "dry_run": "1"}, **FRENCH
    )
    page = html.unescape(response.content.decode())
    columns = re.findall(r"<tr><td>2</td><td>([^<]+)</td>", page)
    assert sorted(columns) == ["Courriel", "Délai de paiement", "Pays"]


def test_a_checked_file_is_imported_from_the_page_that_says_so(client, manager):
    """Checked, the page says to import the file: it offers the form to do it there,
    not a dead end back to the list; once imported, no form is left."""
    client.force_login(manager)
    data = b"nom;siren\nBon;732829320\n"
    checked = client.post(
        reverse("billing:clients_import"),
        {"file": SimpleUploadedFile("clients.csv", data), "dry_run": "1"},
        **FRENCH,
    )
    page = html.unescape(checked.content.decode())
    assert "Importez-la pour créer le client." in page
    form = page.split('action="' + reverse("billing:clients_import") + '"', 1)[1]
    assert 'type="file" name="file"' in form and ">Importer</button>" in form
    done = client.post(
        reverse("billing:clients_import"), {"file": SimpleUploadedFile("clients.csv", data)}
    )
    assert Client.objects.filter(name="Bon").exists()
    assert 'type="file"' not in done.content.decode()


def test_merging_a_twin_from_the_client_page(client, manager, firm, make_client, client_entity):
    twin = make_client(firm, "Client S.A.")
    dollars = make_client(firm, "Client Inc", currency="USD")
    client.force_login(manager)
    page = client.get(reverse("billing:client_account", args=[client_entity.pk]), **FRENCH)
    assert "Fusionner un client créé deux fois avec celui-ci" in page.content.decode()
    url = reverse("billing:client_merge", args=[client_entity.pk])
    refused = client.post(url, {"merged": dollars.pk}, follow=True, **FRENCH)
    assert "leurs devises diffèrent (EUR, USD)" in refused.content.decode()
    done = client.post(url, {"merged": twin.pk}, follow=True, **FRENCH)
    assert "Clients fusionnés dans Client SA." in done.content.decode()
    assert not Client.objects.filter(pk=twin.pk).exists()
    assert client_entity.contacts.count() == 2


def listed_with_queries(client, params) -> tuple[int, list[str], str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("billing:clients"), params)
    assert response.status_code == 200
    return len(queries), names_listed(response), response.content.decode()


def test_the_open_balance_filter_and_the_lists_queries_as_clients_grow(
    client, alice, firm, make_client, make_draft, template
):
    from facturier.invoicing import actions
    from facturier.invoicing.models import Invoice

    def owned(name):
        made = make_client(firm, name)
        made.owners.add(alice)
        alice._owned_client_ids = None
        return made

    def owing(name):
        made = owned(name)
        actions.finalize_invoice(make_draft(client=made), by=alice)
        return made

    owing("Alpha SA")
    paid = owing("Bravo SA")
    Invoice.objects.filter(client=paid).update(balance=0)
    make_draft(client=owned("Charlie SA"))  # a draft owes nothing yet
    client.force_login(alice)
    listed_with_queries(client, {"owing": "1"})  # the session's last use noted
    few, names, page = listed_with_queries(client, {"owing": "1"})
    assert names == ["Alpha SA"] and "1 client" in page
    for n in range(30):
        owing(f"Owing {n:02d}")
    many, names, page = listed_with_queries(client, {"owing": "1"})
    assert names[0] == "Alpha SA" and len(names) == 25 and "31 clients" in page
    assert many == few
    assert listed_with_queries(client, {"owing": "1", "q": "bravo"})[1] == []


@pytest.mark.parametrize("who", ["owner_processor", "owner_only", "processor_only"])
def test_the_compiled_lists_rows_are_the_orms(who, staff, firm, make_client, client_entity):
    from facturier.clients.selectors import ClientFilters, client_list
    from facturier.firms.models import User
    from facturier.receivables.selectors import client_rows

    make_client(firm, "Zèbre 100% SARL", company_id="552100554", vat_number="FR83552100554")
    make_client(firm, "Berlin GmbH", country="DE", einvoice_address="0204:991-1234")
    for made in Client.objects.filter(firm=firm):
        made.owners.add(staff["owner_only"], staff["owner_processor"])
    user = User.objects.get(pk=staff[who].pk)
    shapes = [
        ClientFilters(),
        ClientFilters(search="552 100"),
        ClientFilters(search="100%"),
        ClientFilters(search="zèbre"),
        ClientFilters(search="FR83"),
        ClientFilters(country="de"),
        ClientFilters(owner_id=staff["owner_only"].pk, einvoice_address=False),
        ClientFilters(archived=True),
    ]
    for filters in shapes:
        expected = [c.pk for c in client_list(user=user, filters=filters)]
        rows = client_rows(user=user, filters=filters)
        assert [c.pk for c in rows[0:25]] == expected, filters
        assert rows.count_upto(10) == len(expected), filters


def test_what_each_listed_client_owes_is_summed_as_decimals(
    staff, firm, make_client, make_draft, template
):
    from decimal import Decimal

    from django.db.models import Sum

    from facturier.firms.models import User
    from facturier.invoicing import actions
    from facturier.invoicing.models import Invoice
    from facturier.receivables.selectors import owed_by_clients

    alice = staff["owner_processor"]
    clients = [make_client(firm, f"Client {n}") for n in range(3)]
    for made in clients:
        made.owners.add(alice)
    alice = User.objects.get(pk=alice.pk)
    for made, balances in zip(clients, [("0.10", "0.20"), ("120.50",), ()], strict=True):
        for balance in balances:
            invoice = actions.finalize_invoice(make_draft(client=made), by=alice)
            Invoice.objects.filter(pk=invoice.pk).update(balance=Decimal(balance))
    owed = owed_by_clients(user=alice, client_ids=[c.pk for c in clients])
    assert owed == {
        clients[0].pk: {"EUR": Decimal("0.30")},
        clients[1].pk: {"EUR": Decimal("120.50")},
    }
    by_the_orm = {
        (row["client_id"], row["currency"]): row["total"]
        for row in Invoice.objects.filter(client__in=clients, balance__gt=0)
        .values("client_id", "currency")
        .annotate(total=Sum("balance"))
    }
    assert {(c, cur): t for c, sums in owed.items() for cur, t in sums.items()} == by_the_orm
    assert [str(t) for t in owed[clients[0].pk].values()] == [str(by_the_orm[clients[0].pk, "EUR"])]
    bob = User.objects.get(pk=staff["owner_only"].pk)  # owns none of them
    assert owed_by_clients(user=bob, client_ids=[c.pk for c in clients]) == {}


def test_the_owner_filter_names_colleagues_as_the_client_form_does(client, alice, firm, make_user):
    for username, first, last in (("zoe", "Élodie", "Roux"), ("bmartin", "Bernard", "Martin")):
        member = make_user(username, firm)
        member.first_name, member.last_name = first, last
        member.save()
    client.force_login(alice)
    page = client.get(reverse("billing:clients"), **FRENCH).content.decode()
    select = page.split('id="id_owner"')[1].split("</select>")[0]
    names = re.findall(r"<option value=\"\d+\">([^<]+)</option>", select)
    assert names.index("Bernard Martin") < names.index("Élodie Roux"), names
    assert "zoe" not in names and "bmartin" not in names
