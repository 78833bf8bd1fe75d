"""Checking a client in the e-invoicing directory (AFNOR XP Z12-013 annex B) through
the API, against the local platform: the routing lines of its SIREN and SIRET with
their validity. Requests and answers are checked against the Directory Service's
schemas, as far as this client uses them."""

import jsonschema
import pytest

from facturier.einvoicing import directory
from facturier.einvoicing.sandbox_directory import directory_line

pytestmark = pytest.mark.django_db(transaction=False)

DIGITS = {"type": "string", "pattern": "^[0-9]*$"}
CONTAINS = {
    "type": "object",
    "properties": {"op": {"enum": ["contains"]}, "value": DIGITS},
}
SEARCH = {
    "type": "object",
    "properties": {
        "filters": {
            "type": "object",
            "properties": {
                "siren": {
                    **CONTAINS,
                    "properties": {**CONTAINS["properties"], "value": {**DIGITS, "maxLength": 9}},
                },
                "siret": {
                    **CONTAINS,
                    "properties": {**CONTAINS["properties"], "value": {**DIGITS, "maxLength": 14}},
                },
            },
            "additionalProperties": False,
        },
        "limit": {"type": "integer"},
        "ignore": {"type": "integer"},
    },
    "additionalProperties": False,
}
STATUS = {"enum": ["A", "C"]}
LINE = {
    "type": "object",
    "properties": {
        "addressingIdentifier": {"type": "string", "maxLength": 125},
        "siren": {"type": "string", "pattern": "^[0-9]{9}$"},
        "siret": {"type": "string", "pattern": "^[0-9]{14}$"},
        "addressingSuffix": {"type": "string", "maxLength": 100},
        "routingCode": {
            "type": "object",
            "properties": {
                "routingIdentifier": {"type": "string", "pattern": "^[-_/a-zA-Z0-9]{1,100}$"},
                "routingIdentifierType": {"type": "string", "maxLength": 4},
                "administrativeStatus": STATUS,
            },
        },
        "platform": {
            "type": "object",
            "properties": {
                "platformType": {"enum": ["WK", "DFH"]},
                "platformStatus": {"enum": ["Enabled", "Disabled"]},
            },
        },
        "legalUnit": {
            "type": "object",
            "properties": {
                "entityType": {"enum": ["Public", "PrivateVatRegistered"]},
                "administrativeStatus": STATUS,
            },
        },
    },
    "additionalProperties": False,
}
ANSWER = {
    "type": "object",
    "properties": {
        "search": SEARCH,
        "totalNumberOfResults": {"type": "integer"},
        "results": {"type": "array", "items": LINE},
    },
}
PROBLEM = {
    "type": "object",
    "required": ["message", "status"],
    "properties": {"message": {"type": "string"}, "status": {"type": "integer"}},
}


def searches(platform) -> list[dict]:
    found = [r["body"] for r in platform.requests if r["operation"] == "searchDirectoryLine"]
    for body in found:
        jsonschema.validate(body, SEARCH)
    return found


def test_a_french_business_is_found_with_one_valid_line(platform, french_business, api):
    answer = api.get(f"/api/v1/clients/{french_business.pk}/directory/")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert (body["siren"], body["siret"], body["in_directory"]) == ("552100554", "", True)
    (line,) = body["lines"]
    assert line["electronic_address"] == "0225:552100554" and line["valid"]
    (search,) = searches(platform)
    assert search["filters"] == {"siren": {"op": "contains", "value": "552100554"}}


def test_a_facilitys_lines_and_their_validity(platform, firm, make_client, alice, api):
    client = make_client(firm, "Dupont SA", company_id="55210055400013")
    client.owners.add(alice)
    platform.directory_lines["552100554"] = [
        directory_line("552100554"),
        directory_line("552100554", siret="55210055400013", suffix="ACHATS"),
        directory_line("552100554", siret="55210055400021"),  # another facility
        directory_line("552100554", siret="55210055400013", routing="SVC-1", closed=True),
        directory_line("552100554", suffix="OLD", platform_status="Disabled"),
    ]
    body = api.get(f"/api/v1/clients/{client.pk}/directory/").json()
    assert (body["siren"], body["siret"]) == ("552100554", "55210055400013")
    lines = [(line["electronic_address"], line["valid"]) for line in body["lines"]]
    assert lines == [
        ("0225:552100554", True),
        ("0225:552100554_55210055400013_ACHATS", True),
        ("0225:552100554_55210055400013_SVC-1", False),  # its routing code is closed
        ("0225:552100554_OLD", False),  # its platform is disabled
    ]
    (search,) = searches(platform)
    assert search["filters"]["siret"] == {"op": "contains", "value": "55210055400013"}


def test_a_company_not_in_the_directory(platform, french_business, api):
    platform.not_in_directory.add("552100554")
    body = api.get(f"/api/v1/clients/{french_business.pk}/directory/").json()
    assert body["lines"] == [] and body["in_directory"] is False


def test_only_a_french_company_can_be_looked_up(platform, firm, make_client, alice, api):
    abroad = make_client(firm, "Berlin GmbH", country="DE", vat_number="DE136695976")
    abroad.owners.add(alice)
    answer = api.get(f"/api/v1/clients/{abroad.pk}/directory/")
    assert answer.status_code == 422 and "French company" in answer.json()["message"]
    assert searches(platform) == []


def test_without_a_platform_or_with_wrong_credentials_it_says_why(
    firm, french_business, api, platform_server
):
    answer = api.get(f"/api/v1/clients/{french_business.pk}/directory/")
    assert answer.status_code == 424
    assert answer.json()["code"] == "directory_unavailable"
    assert "no e-invoicing platform" in answer.json()["message"]
    url, _state = platform_server
    directory.Platform.objects.create(
        firm=firm, base_url=url, token_url=f"{url}/oauth/token", client_id="x", client_secret="y"
    )
    answer = api.get(f"/api/v1/clients/{french_business.pk}/directory/")
    assert answer.status_code == 424 and "401" in answer.json()["message"]


def test_a_client_one_may_not_see_is_not_found(platform, french_business, api_for, staff):
    outsider = api_for(staff["neither"])  # neither an owner nor processing
    assert outsider.get(f"/api/v1/clients/{french_business.pk}/directory/").status_code == 404


def test_the_directorys_answers_match_the_schemas(platform_server):
    url, platform = platform_server
    status, answer = platform.directory_search(
        {"filters": {"siren": {"op": "contains", "value": "552100554"}}, "limit": 10}
    )
    assert status == 200
    jsonschema.validate(answer, ANSWER)
    assert answer["totalNumberOfResults"] == 1
    status, problem = platform.directory_search({"filters": {"siren": {"value": "55A"}}})
    assert status == 400
    jsonschema.validate(problem, PROBLEM)


@pytest.mark.parametrize(
    ("flow_service", "expected"),
    [
        ("https://api.pa.example/flow-service", "https://api.pa.example/directory-service"),
        ("https://api.pa.example/flow-service/", "https://api.pa.example/directory-service"),
        ("http://127.0.0.1:8555", "http://127.0.0.1:8555"),
    ],
)
def test_the_directory_lives_beside_the_flow_service(flow_service, expected):
    assert directory.directory_url(flow_service) == expected


def test_the_demo_clients_are_in_the_local_directory(platform_server):
    from facturier.web.management.commands.load_demo import demo_siren

    _url, platform = platform_server
    for index in range(12):
        siren = demo_siren(index)
        _status, answer = platform.directory_search({"filters": {"siren": {"value": siren}}})
        (line,) = answer["results"]
        assert line["addressingIdentifier"] == siren


# --- before a deposit ---------------------------------------------------------------


def _deposit_of(alice, client):
    from facturier.einvoicing.models import Transmission
    from facturier.invoicing import actions as invoicing

    by = type(alice).objects.get(pk=alice.pk)
    draft = invoicing.create_draft(
        by=by, client=client, lines=[{"description": "Audit", "unit_price": "1000"}]
    )
    invoice = invoicing.finalize_invoice(draft, by=by)
    return Transmission.objects.get(invoice=invoice)


def test_a_deposit_asks_the_directory_first_and_goes_to_a_listed_address(
    platform, french_business, alice
):
    from facturier.einvoicing.platform_outbox import deposit

    transmission = _deposit_of(alice, french_business)
    assert deposit(transmission.pk) == "sent"
    (search,) = searches(platform)
    assert search["filters"]["siren"]["value"] == "552100554"
    operations = [r["operation"] for r in platform.requests]
    assert operations.index("searchDirectoryLine") < operations.index("createFlow")


@pytest.mark.parametrize("listed", ["nowhere", "closed", "elsewhere"])
def test_a_buyer_the_directory_does_not_route_to_fails_the_deposit_with_why(
    platform, french_business, alice, listed
):
    from django.utils import translation

    from facturier.einvoicing.platform_outbox import deposit

    if listed == "nowhere":
        platform.not_in_directory.add("552100554")
    elif listed == "closed":
        platform.directory_lines["552100554"] = [directory_line("552100554", closed=True)]
    else:  # the company receives at one facility's address only
        platform.directory_lines["552100554"] = [
            directory_line("552100554", siret="55210055400013", suffix="ACHATS")
        ]
    transmission = _deposit_of(alice, french_business)
    assert deposit(transmission.pk) == "failed"  # not retried: the address is wrong
    transmission.refresh_from_db()
    assert "0225:552100554" in transmission.last_error
    assert not [r for r in platform.requests if r["operation"] == "createFlow"]
    if listed == "elsewhere":
        assert "0225:552100554_55210055400013_ACHATS" in transmission.last_error
    with translation.override("fr"):
        assert "annuaire" in transmission.said


def test_a_directory_out_of_reach_delays_the_deposit_never_skips_the_check(
    platform, french_business, alice
):
    from facturier.einvoicing.platform_outbox import deposit

    platform.directory_down = True
    transmission = _deposit_of(alice, french_business)
    assert deposit(transmission.pk) == "retrying"
    assert not [r for r in platform.requests if r["operation"] == "createFlow"]


# --- the page --------------------------------------------------------------------


def test_the_client_account_checks_the_client_in_the_directory_in_french(
    platform, french_business, alice, client
):
    client.force_login(alice)
    account = client.get(f"/billing/clients/{french_business.pk}/", HTTP_ACCEPT_LANGUAGE="fr")
    url = f"/billing/clients/{french_business.pk}/directory/"
    assert f'href="{url}"' in account.content.decode()
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Vérifier dans l’annuaire" in page and "SIREN 552100554" in page
    assert 'data-usable="1"' in page and "0225:552100554" in page
    platform.directory_lines["552100554"] = [
        directory_line("552100554", siret="55210055400013", suffix="ACHATS"),
        directory_line("552100554", suffix="OLD", platform_status="Disabled"),
    ]
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert 'data-usable="0"' in page and "0225:552100554_55210055400013_ACHATS" in page
    assert "<strong>non</strong>" in page  # the disabled platform's line


def test_the_directory_page_says_why_it_cannot_read(platform, firm, make_client, alice, client):
    abroad = make_client(firm, "Berlin GmbH", country="DE", vat_number="DE136695976")
    abroad.owners.add(alice)
    client.force_login(alice)
    page = client.get(f"/billing/clients/{abroad.pk}/directory/", HTTP_ACCEPT_LANGUAGE="fr")
    assert page.status_code == 200 and 'role="alert"' in page.content.decode()
    platform.directory_down = True
    french = make_client(firm, "Durand SARL", company_id="552100554")
    french.owners.add(alice)
    page = client.get(f"/billing/clients/{french.pk}/directory/", HTTP_ACCEPT_LANGUAGE="fr")
    assert page.status_code == 200 and "annuaire" in page.content.decode()


def test_only_who_sees_the_client_checks_it(platform, french_business, staff, client):
    client.force_login(staff["neither"])
    assert client.get(f"/billing/clients/{french_business.pk}/directory/").status_code == 404
