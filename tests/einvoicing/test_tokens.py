"""One OAuth token per platform account until it expires, across the worker's passes
and processes (kept in the cache they share): measured on the local platform."""

import time
import types

import pytest

from facturier.einvoicing import actions as einvoicing
from facturier.einvoicing import flows, sandbox
from facturier.einvoicing.flows import Credentials, FlowService
from facturier.einvoicing.models import Transmission
from facturier.einvoicing.platform_outbox import deposit

from .test_platform import finalize

pytestmark = pytest.mark.django_db(transaction=False)


def test_twenty_deposits_and_the_status_passes_use_one_token(
    platform, french_business, alice, template
):
    invoices = [finalize(alice, french_business) for _ in range(20)]
    for invoice in invoices:
        assert deposit(Transmission.objects.get(invoice=invoice).pk) == "sent"
    einvoicing.collect_statuses()
    einvoicing.collect_statuses()
    assert platform.api_calls >= 20 + 2
    assert platform.tokens_issued == 1


def service(url: str) -> FlowService:
    from django.core.cache import cache

    return FlowService(
        Credentials(url, f"{url}/oauth/token", sandbox.CLIENT_ID, sandbox.CLIENT_SECRET),
        tokens=cache,
    )


def test_another_process_reuses_the_token_until_it_expires(platform_server, monkeypatch):
    url, platform = platform_server
    platform.token_lifetime = 3600  # renewed a minute early: good for 59 minutes
    service(url).search({"trackingId": "t"})
    service(url).search({"trackingId": "t"})  # another client, as another process has
    assert (platform.tokens_issued, platform.api_calls) == (1, 2)
    # An hour later (the clock moved, not the test): expired, so a new one is asked for.
    later = time.time() + 3600
    monkeypatch.setattr(flows, "time", types.SimpleNamespace(time=lambda: later))
    service(url).search({"trackingId": "t"})
    assert platform.tokens_issued == 2


def test_a_revoked_token_is_replaced_once(platform_server):
    url, platform = platform_server
    service(url).search({"trackingId": "t"})
    platform.tokens.clear()  # the platform revoked it
    assert service(url).search({"trackingId": "t"}) == []
    assert platform.tokens_issued == 2
    service(url).search({"trackingId": "t"})
    assert platform.tokens_issued == 2
