"""The platform's queue as the firm meets it: a wrong secret holds every deposit (said
on the settings page with the platform's words), saving the right one sends them at
once; a deposit that failed for good is retried from the invoice's page, and the
platform still gets one flow."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from facturier.einvoicing import actions as einvoicing
from facturier.einvoicing import sandbox
from facturier.einvoicing.models import Transmission
from facturier.einvoicing.platform_outbox import deposit
from facturier.invoicing import actions
from facturier.invoicing.selectors import invoice_events

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(alice):
    alice.user_permissions.add(Permission.objects.get(codename="manage_templates"))
    return type(alice).objects.get(pk=alice.pk)


@pytest.fixture
def platform_server():
    server, platform = sandbox.serve("127.0.0.1", 0, step=0)
    yield f"http://127.0.0.1:{server.server_address[1]}", platform
    server.shutdown()


def save(manager, url, secret):
    einvoicing.save_platform(
        manager.firm,
        by=manager,
        fields={
            "base_url": url,
            "token_url": f"{url}/oauth/token",
            "client_id": sandbox.CLIENT_ID,
            "client_secret": secret,
            "route_b2b": True,
        },
    )


def business_invoice(firm, make_client, manager):
    client = make_client(firm, "Dupont SA", company_id="552100554", vat_number="FR96552100554")
    client.owners.add(manager)
    manager = type(manager).objects.get(pk=manager.pk)  # fresh: sees the new client
    draft = actions.create_draft(
        by=manager, client=client, lines=[{"description": "Audit", "unit_price": "1000"}]
    )
    return actions.finalize_invoice(draft, by=manager)


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_wrong_secret_holds_the_deposits_and_saving_the_right_one_sends_them_now(
    firm, make_client, manager, template, platform_server
):
    url, platform = platform_server
    save(manager, url, "not-the-secret")
    invoice = business_invoice(firm, make_client, manager)
    transmission = Transmission.objects.get(invoice=invoice)
    for minutes in (0, 30, 300):
        now = timezone.now() + datetime.timedelta(minutes=minutes)
        assert deposit(transmission.pk, now=now) == "retrying"
    transmission.refresh_from_db()
    assert transmission.attempts == 0 and transmission.held_since is not None

    page = browser(manager).get("/settings/einvoicing/").content.decode()
    assert "held since" in page and "invalid_client" in page

    save(manager, url, sandbox.CLIENT_SECRET)  # fixed: due now, not at the next minute
    transmission.refresh_from_db()
    assert transmission.next_attempt_at <= timezone.now()
    assert deposit(transmission.pk) == "sent"
    assert len(platform.deposits()) == 1
    assert "held since" not in browser(manager).get("/settings/einvoicing/").content.decode()


def test_a_deposit_that_failed_for_good_is_retried_from_the_invoice_page_once(
    firm, make_client, manager, template, platform_server
):
    url, platform = platform_server
    save(manager, url, sandbox.CLIENT_SECRET)
    invoice = business_invoice(firm, make_client, manager)
    transmission = Transmission.objects.get(invoice=invoice)
    platform.script(*["503"] * transmission.max_attempts)
    for hours in range(transmission.max_attempts):
        deposit(transmission.pk, now=timezone.now() + datetime.timedelta(hours=3 * hours))
    transmission.refresh_from_db()
    assert transmission.status == "failed" and not platform.deposits()

    page = browser(manager).get(f"/billing/invoices/{invoice.pk}/").content.decode()
    retry_url = f"/billing/transmissions/{transmission.pk}/retry/"
    assert f'action="{retry_url}"' in page
    form = {"idempotency_key": "deposit-again", "next": f"/billing/invoices/{invoice.pk}/"}
    assert browser(manager).post(retry_url, form).status_code == 302
    assert browser(manager).post(retry_url, form).status_code == 302  # a double click
    assert deposit(transmission.pk) == "sent"
    assert len(platform.deposits()) == 1
    assert invoice_events(invoice=invoice).filter(action="invoice.platform_requeued").count() == 1
    # Deposited: never again.
    response = browser(manager).post(retry_url, {"idempotency_key": "again"}, follow=True)
    assert "already delivered" in response.content.decode()
    assert len(platform.deposits()) == 1


def test_who_lacks_the_processing_permission_may_not_retry_a_deposit(
    firm, make_client, manager, template, platform_server, staff, api_for
):
    url, platform = platform_server
    save(manager, url, sandbox.CLIENT_SECRET)
    invoice = business_invoice(firm, make_client, manager)
    transmission = Transmission.objects.get(invoice=invoice)
    Transmission.objects.filter(pk=transmission.pk).update(status="failed")
    invoice.client.owners.add(staff["owner_only"])
    answer = api_for(staff["owner_only"]).post(f"/api/v1/transmissions/{transmission.pk}/retry/")
    assert answer.status_code == 403 and answer.json()["code"] == "not_allowed"
    hidden = api_for(staff["neither"]).post(f"/api/v1/transmissions/{transmission.pk}/retry/")
    assert hidden.status_code == 404
    assert Transmission.objects.get(pk=transmission.pk).status == "failed"


def test_one_firms_wrong_secret_holds_its_deposits_not_another_firms(
    firm, make_firm, make_user, make_client, manager, template, platform_server
):
    from facturier.einvoicing.platform_outbox import FLOWS
    from facturier.invoicing.models import InvoiceTemplate
    from facturier.outbox import engine

    url, platform = platform_server
    save(manager, url, "not-the-secret")
    mine = [business_invoice(firm, make_client, manager) for _ in range(2)]
    other_firm = make_firm("Autre Cabinet")
    InvoiceTemplate.objects.create(firm=other_firm, name="Standard", is_default=True)
    other = make_user("olga", other_firm, processing=True)
    other.user_permissions.add(Permission.objects.get(codename="manage_templates"))
    other = type(other).objects.get(pk=other.pk)
    save(other, url, sandbox.CLIENT_SECRET)
    theirs = business_invoice(other_firm, make_client, other)

    pks = list(Transmission.objects.order_by("pk").values_list("pk", flat=True))
    for _pass in range(2):  # as the worker's drain: the batch stops at the held one
        dict(engine.process_batch(FLOWS, pks))
    held = Transmission.objects.filter(invoice__in=mine)
    assert [t.status for t in held] == ["retrying", "retrying"]
    assert all(t.held_since and t.attempts == 0 for t in held)
    assert Transmission.objects.get(invoice=theirs).status == "sent"
    assert len(platform.deposits()) == 1
