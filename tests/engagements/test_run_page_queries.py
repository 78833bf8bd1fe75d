"""The billing-run page at a firm's scale: its queries do not grow with what was made
today, what failed and what comes next, and a day's periods are found by their day
(the user's firm tested on each), not by walking the firm's engagements."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from facturier.engagements import actions
from facturier.engagements.models import RunFailure
from facturier.engagements.selectors import run_overview

pytestmark = pytest.mark.django_db


def engagements(make_engagement, client, count: int, start: int, *, due=True, by=None) -> list:
    """`count` engagements billed from this month (due) or from the next (not due)."""
    first = timezone.localdate().replace(day=1)
    if not due:
        first = (first + datetime.timedelta(days=31)).replace(day=1)
    return [
        make_engagement(client=client, reference=f"LM-{start + n:03d}", start_date=first, by=by)
        for n in range(count)
    ]


def grow(make_engagement, client, firm, alice, count: int, start: int) -> None:
    """`count` engagements billed today, `count` failed, `count` more to bill next."""
    engagements(make_engagement, client, count, start)
    result = actions.bill_due_periods(firm, by=alice, as_of=timezone.localdate())
    assert not result.failures
    for engagement in engagements(make_engagement, client, count, start + 100, due=False):
        RunFailure.objects.create(
            engagement=engagement,
            reason="Le client n'a pas d'adresse.",
            code="no_address",
            failed_at=timezone.now(),
        )
    engagements(make_engagement, client, count, start + 200, due=False)


def page(client) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("billing:engagements_run"))
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_the_run_pages_queries_do_not_grow_with_its_rows(
    client, alice, client_entity, firm, make_engagement
):
    grow(make_engagement, client_entity, firm, alice, 1, 0)
    client.force_login(alice)
    page(client)  # the first view after signing in notes the session's last use
    few, _ = page(client)
    grow(make_engagement, client_entity, firm, alice, 6, 10)
    many, html = page(client)
    assert html.count("/retry/") == 7 and "LM-010" in html and "LM-110" in html
    assert many == few


def test_a_days_periods_are_the_users_firms_only(
    alice, client_entity, firm, make_engagement, make_firm, make_client, make_user
):
    grow(make_engagement, client_entity, firm, alice, 2, 0)
    other = make_firm("Autre Cabinet")
    theirs = make_client(other, "Leur Client")
    zoe = make_user("zoe", other, processing=True, owns=[theirs])
    engagements(make_engagement, theirs, 3, 500, by=zoe)
    actions.bill_due_periods(other, by=zoe, as_of=timezone.localdate())
    ours = run_overview(user=alice, day=timezone.localdate())
    assert sorted(r.mission.engagement.reference for r in ours.made) == ["LM-000", "LM-001"]
    their_view = run_overview(user=zoe, day=timezone.localdate())
    assert len(their_view.made) == 3 and not their_view.failures
