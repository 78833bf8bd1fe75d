"""The local platform (a real HTTP server in the test process) and a firm set up to
deposit with it; every lifecycle message it saw is checked against the CDAR schema."""

import pytest

from facturier.einvoicing import actions as einvoicing
from facturier.einvoicing import cdar, sandbox


@pytest.fixture
def platform_server():
    server, platform = sandbox.serve("127.0.0.1", 0, step=0)
    yield f"http://127.0.0.1:{server.server_address[1]}", platform
    server.shutdown()


def assert_every_lifecycle_message_follows_the_schema(state):
    """What we deposited and what the platform's buyer side sent: CDAR D22B, in order."""
    for flow in state.flows.values():
        if flow.flow_type == "CustomerInvoiceLC":
            assert cdar.schema_errors(flow.content) == [], flow.content.decode()
            assert flow.ack["status"] == "Ok"


@pytest.fixture
def platform(firm, platform_server, alice):
    from django.contrib.auth.models import Permission

    url, state = platform_server
    alice.user_permissions.add(Permission.objects.get(codename="manage_templates"))
    einvoicing.save_platform(
        firm,
        by=type(alice).objects.get(pk=alice.pk),
        fields={
            "base_url": url,
            "token_url": f"{url}/oauth/token",
            "client_id": sandbox.CLIENT_ID,
            "client_secret": sandbox.CLIENT_SECRET,
            "route_b2b": True,
        },
    )
    yield state
    assert_every_lifecycle_message_follows_the_schema(state)


@pytest.fixture
def french_business(firm, make_client, alice):
    client = make_client(firm, "Dupont SA", company_id="552100554", vat_number="FR96552100554")
    client.owners.add(alice)
    return client
