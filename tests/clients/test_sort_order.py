"""Clients are listed as a person files them: "Électricité Martin" among the E's and
"dupont" among the D's, not after "Zola" (a binary order puts accents and lower case
last). One stored key (Client.sort_name) orders every list and choice of clients."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from facturier.clients import actions as client_actions
from facturier.clients.models import Client
from facturier.core.reading import sort_key
from facturier.invoicing import actions

pytestmark = pytest.mark.django_db
FRENCH = {"HTTP_ACCEPT_LANGUAGE": "fr"}
NAMES = ["Zola Conseil", "Électricité Martin", "dupont frères", "Œuvres Sociales", "Fabre SA"]
FILED = ["dupont frères", "Électricité Martin", "Fabre SA", "Œuvres Sociales", "Zola Conseil"]


def test_the_key_leaves_out_case_accents_ligatures_and_extra_spaces():
    assert sort_key("  Électricité   MARTIN ") == "electricite martin"
    assert sort_key("Œuvres") == "oeuvres" and sort_key("Straße") == "strasse"
    assert sorted(NAMES, key=sort_key) == FILED


@pytest.fixture
def clients(firm, make_client, alice):
    made = [make_client(firm, name) for name in NAMES]
    for client in made:
        client.owners.add(alice)
    return made


def listed(response) -> list[str]:
    table = response.content.decode().split('id="client-table"')[1].split("</table>")[0]
    return re.findall(r'/billing/clients/\d+/">([^<]+)</a>', table)


def test_the_clients_tab_and_the_api_list_clients_as_filed(client, alice, clients):
    client.force_login(alice)
    names = listed(client.get(reverse("billing:clients"), **FRENCH))
    assert [name for name in names if name in NAMES] == FILED
    api = client.get("/api/v1/clients/").json()
    rows = api["results"] if isinstance(api, dict) else api
    assert [row["name"] for row in rows if row["name"] in NAMES] == FILED


def test_the_invoices_list_sorted_by_client_files_them_alike(client, alice, clients, template):
    for each in clients:
        lines = [{"description": "Honoraires", "unit_price": "100", "vat_rate": "20"}]
        actions.create_draft(by=alice, client=each, lines=lines)
    client.force_login(alice)
    page = client.get(reverse("billing:invoices"), {"sort": "client"}, **FRENCH).content.decode()
    shown = sorted(NAMES, key=lambda name: page.index(name))
    assert shown == FILED


def test_the_key_follows_each_way_a_name_is_written(firm, alice, clients):
    zola = clients[0]
    client_actions.update_client(zola, by=alice, name="Écluse Zola")
    assert Client.objects.get(pk=zola.pk).sort_name == "ecluse zola"
    zola.name = "Àrles Zola"
    zola.save(update_fields=["name"])
    assert Client.objects.get(pk=zola.pk).sort_name == "arles zola"
    [bulk] = Client.objects.bulk_create([Client(firm=firm, name="Éole SAS")])
    assert Client.objects.get(pk=bulk.pk).sort_name == "eole sas"


def test_aging_and_wip_put_equal_totals_in_filed_order(firm, alice, clients, template):
    """Two clients owing the same: the aging lists them by name as filed."""
    from facturier.receivables.aging import aging

    for each in clients[:2]:  # Zola Conseil, Électricité Martin
        lines = [{"description": "Honoraires", "unit_price": "100", "vat_rate": "20"}]
        draft = actions.create_draft(
            by=alice, client=each, lines=lines, issue_date=datetime.date(2027, 1, 4)
        )
        actions.finalize_invoice(draft, by=alice)
    rows = aging(user=alice, day=datetime.date(2027, 6, 1)).rows
    assert [row.client for row in rows if row.total == Decimal("120.00")] == [
        "Électricité Martin",
        "Zola Conseil",
    ]
