"""The platform's call when a flow changes (annex A's WebhookCallback): it makes us read
the platform at once, and nothing it says is believed without reading the platform."""

import time

import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from facturier.einvoicing.models import LifecycleStatus, Platform, Transmission
from facturier.einvoicing.platform_outbox import deposit
from facturier.firms.models import AuditEvent

from .test_platform import finalize


def hook_path(key: str) -> str:
    return reverse("api-einvoicing-webhook", kwargs={"key": key})


def call(key: str, body, **extra):
    return APIClient().post(hook_path(key), body, format="json", **extra)


def codes(transmission) -> list[str]:
    return list(
        LifecycleStatus.objects.filter(transmission=transmission)
        .order_by("at", "id")
        .values_list("code", flat=True)
    )


def worker_without_periodic_pass():
    """The worker's queued tasks, deliveries and nothing else: no periodic read."""
    call_command("outbox_worker", once=True, no_periodic=True)


@pytest.mark.django_db(transaction=True)
def test_the_platforms_call_brings_the_statuses_without_waiting_for_the_pass(
    platform, french_business, alice, template, live_server
):
    key = Platform.objects.get().webhook_key
    platform.listen(live_server.url + hook_path(key))
    invoice = finalize(alice, french_business)
    transmission = Transmission.objects.get(invoice=invoice)
    assert deposit(transmission.pk) == "sent"
    # The sandbox calls for the deposit, then for each of the buyer's three steps.
    deadline = time.monotonic() + 20
    while len(platform.calls_made) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [status for status, _body in platform.calls_made] == [200] * 4
    assert codes(transmission) == []  # the calls stored nothing themselves
    worker_without_periodic_pass()
    assert codes(transmission) == ["200", "202", "204", "205"]


def test_a_call_that_did_not_come_from_the_platform_only_makes_us_read_it(
    platform, french_business, alice, template
):
    from django_tasks_db.models import DBTaskResult

    from facturier.einvoicing.tasks import read_statuses

    invoice = finalize(alice, french_business)
    transmission = Transmission.objects.get(invoice=invoice)
    stored = Platform.objects.get()
    # A forged call, before anything was deposited: the platform holds nothing of ours,
    # whatever the call claims of a flow and its acknowledgement.
    forged = {"flowInfo": {"flowId": "f" * 32, "acknowledgement": {"status": "Ok"}}}
    assert call(stored.webhook_key, forged).status_code == 200
    (queued,) = DBTaskResult.objects.filter(task_path__endswith="read_statuses")
    assert queued.args_kwargs["args"] == [stored.pk]
    assert read_statuses.call(stored.pk) == 0
    assert codes(transmission) == []


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"flowInfo": None},
        {"flowInfo": {}},
        {"flowInfo": {"flowId": 12}},
        {"flowInfo": {"flowId": ""}},
        {"flowInfo": {"flowId": "a" * 65}},
        {"flowInfo": {"flowId": "../../etc"}},
        [1, 2],
    ],
)
def test_a_call_without_a_flow_is_refused_with_its_code(platform, body):
    answer = call(Platform.objects.get().webhook_key, body)
    assert answer.status_code == 422
    assert answer.json()["code"] == "invalid_callback"


def test_a_call_that_is_not_json_is_refused(platform):
    answer = APIClient().post(
        hook_path(Platform.objects.get().webhook_key), b"{not json", content_type="application/json"
    )
    assert answer.status_code == 400 and answer.json()["code"] == "parse_error"


def test_an_address_no_platform_holds_answers_404(platform):
    answer = call("x" * 43, {"flowInfo": {"flowId": "abc"}})
    assert answer.status_code == 404 and answer.json()["code"] == "unknown_webhook"


def test_each_platform_has_its_own_address(platform, make_firm):
    from facturier.einvoicing import actions as einvoicing

    firm = Platform.objects.get().firm
    other = Platform.objects.create(
        firm=make_firm(name="Autre"),
        base_url="https://p.example/flow-service",
        token_url="https://p.example/token",
        client_id="x",
        client_secret="y",
    )
    assert other.webhook_key != Platform.objects.get(firm=firm).webhook_key
    assert len(other.webhook_key) >= 40  # 256 bits, URL-safe
    assert einvoicing.PLATFORM_FIELDS  # the key is not a field a form sets


def test_the_settings_page_shows_the_address_and_changes_it(platform, alice, client):
    from django.contrib.auth.models import Permission

    alice.user_permissions.add(Permission.objects.get(codename="manage_templates"))
    client.force_login(alice)
    old = Platform.objects.get().webhook_key
    page = client.get(reverse("settings:einvoicing"), HTTP_ACCEPT_LANGUAGE="fr")
    text = page.content.decode()
    assert "Adresse des appels de la plateforme" in text
    assert f"http://testserver{hook_path(old)}" in text
    answer = client.post(reverse("settings:einvoicing_webhook"), HTTP_ACCEPT_LANGUAGE="fr")
    assert answer.status_code == 302
    new = Platform.objects.get().webhook_key
    assert new != old
    assert call(old, {"flowInfo": {"flowId": "abc"}}).status_code == 404
    assert call(new, {"flowInfo": {"flowId": "abc"}}).status_code == 200
    event = AuditEvent.objects.get(action="webhook.changed")
    assert (
        event.actor_id == alice.pk
        and old not in str(event.details)
        and new not in str(event.details)
    )


def test_only_the_settings_right_changes_the_address(platform, staff, client):
    client.force_login(staff["processor_only"])
    old = Platform.objects.get().webhook_key
    client.post(reverse("settings:einvoicing_webhook"))
    assert Platform.objects.get().webhook_key == old
