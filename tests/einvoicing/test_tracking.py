"""Tracking ids are this installation's: a second installation, or a database made
anew, against the same platform account never adopts another's flow; flows deposited
under the tracking ids of before are still found."""

import re

import pytest

from facturier.einvoicing import actions as einvoicing
from facturier.einvoicing.models import Installation, LifecycleStatus, Transmission
from facturier.einvoicing.platform_outbox import deposit

from .test_platform import finalize, later

pytestmark = pytest.mark.django_db(transaction=False)


def test_every_tracking_id_names_this_installation(platform, french_business, alice, template):
    key = einvoicing.installation_key()
    assert re.fullmatch(r"[0-9a-f]{8}", key) and einvoicing.installation_key() == key
    invoice = finalize(alice, french_business)
    transmission = Transmission.objects.get(invoice=invoice)
    assert transmission.tracking_id == f"fct-{key}-{invoice.pk}-invoice"
    assert len(transmission.tracking_id) <= 36


def test_a_database_made_anew_mints_another_key():
    before = einvoicing.installation_key()
    Installation.objects.all().delete()  # as a new, empty database would have it
    after = einvoicing.installation_key()
    assert after != before and Installation.objects.get().key == after


def test_another_installations_flow_is_never_adopted(platform, french_business, alice, template):
    """Another installation deposited its invoice of the same id with the same platform;
    ours, whose first answer was lost, deposits its own on the retry."""
    invoice = finalize(alice, french_business)
    transmission = Transmission.objects.get(invoice=invoice)
    key = einvoicing.installation_key()
    Installation.objects.update(key="0badc0de")  # the other one's, for the same invoice id
    theirs = einvoicing.tracking_id(invoice, "invoice")
    Installation.objects.update(key=key)
    assert theirs != transmission.tracking_id
    platform.submit(
        {"trackingId": theirs, "flowSyntax": "CII", "processingRule": "B2BInt"}, b"<x/>"
    )
    platform.script("lose")
    assert deposit(transmission.pk) == "retrying"
    assert deposit(transmission.pk, now=later(5)) == "sent"
    transmission.refresh_from_db()
    ours = [f for f in platform.deposits() if f.info["trackingId"] == transmission.tracking_id]
    assert len(ours) == 1 and transmission.flow_id == ours[0].flow_id


def test_a_search_that_answers_other_flows_adopts_none_of_them(
    platform, french_business, alice, template
):
    """A platform whose search does not filter on the tracking id: a retry reads the
    tracking id of each flow and takes only ours."""
    search = platform.search
    platform.search = lambda params: search(
        {**params, "where": {"updatedAfter": "2000-01-01T00:00:00Z"}}
    )
    other = {
        "trackingId": "fct-0badc0de-1-invoice",
        "flowSyntax": "CII",
        "processingRule": "B2BInt",
    }
    platform.submit(other, b"<x/>")
    invoice = finalize(alice, french_business)
    transmission = Transmission.objects.get(invoice=invoice)
    platform.script("503")
    assert deposit(transmission.pk) == "retrying"
    assert deposit(transmission.pk, now=later(5)) == "sent"
    transmission.refresh_from_db()
    (flow,) = [f for f in platform.deposits() if f.flow_id == transmission.flow_id]
    assert flow.info["trackingId"] == transmission.tracking_id


def test_a_flow_deposited_under_an_old_tracking_id_is_still_found(
    platform, french_business, alice, template
):
    invoice = finalize(alice, french_business)
    transmission = Transmission.objects.get(invoice=invoice)
    old = f"fct-{invoice.firm_id}-{invoice.pk}-invoice"
    Transmission.objects.filter(pk=transmission.pk).update(tracking_id=old)
    platform.script("lose")
    assert deposit(transmission.pk) == "retrying"
    assert deposit(transmission.pk, now=later(5)) == "sent"
    (flow,) = platform.deposits()
    transmission.refresh_from_db()
    assert (flow.info["trackingId"], transmission.flow_id) == (old, flow.flow_id)
    einvoicing.collect_statuses()
    assert LifecycleStatus.objects.filter(transmission=transmission).count() == 4
