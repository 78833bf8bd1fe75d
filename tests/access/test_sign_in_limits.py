"""Failed sign-ins are limited per account (5 in 15 minutes) and per IP address (20),
with a clear message; every sign-in and every failure is in the firm's audit trail."""

import pytest
from django.core.cache import cache
from django.test import Client as Browser

from facturier.firms.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_limits(django_db_blocker):
    """The failure counts live in the cache (a table outside the tests' transactions)."""
    with django_db_blocker.unblock():
        cache.clear()
    yield
    with django_db_blocker.unblock():
        cache.clear()


@pytest.fixture
def bob(firm, make_user):
    return make_user("bob", firm)


def attempt(username, password, ip="192.0.2.1", language="en"):
    return Browser(HTTP_ACCEPT_LANGUAGE=language, REMOTE_ADDR=ip).post(
        "/login/", {"username": username, "password": password}
    )


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(bob):
    for _n in range(5):
        assert attempt("bob", "wrong").status_code == 200
    locked = attempt("bob", "pw-bob", ip="192.0.2.99", language="fr")
    assert locked.status_code == 429 and b'data-code="rate_limited"' in locked.content
    assert "Trop de tentatives de connexion échouées" in locked.content.decode()
    assert "_auth_user_id" not in locked.client.session
    # Another member is not concerned.
    assert attempt("alice-nobody", "wrong").status_code == 200


def test_twenty_failures_from_one_address_stop_it(bob, make_user, firm):
    for n in range(20):
        attempt(f"someone-{n}", "wrong", ip="198.51.100.7")
    assert attempt("bob", "pw-bob", ip="198.51.100.7").status_code == 429
    assert attempt("bob", "pw-bob", ip="198.51.100.8").status_code == 302


def test_sign_ins_and_failures_are_in_the_firm_audit_trail(bob):
    attempt("bob", "wrong", ip="192.0.2.5")
    Browser(REMOTE_ADDR="192.0.2.6", HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux) Firefox/133.0").post(
        "/login/", {"username": "bob", "password": "pw-bob"}
    )
    trail = AuditEvent.objects.filter(firm=bob.firm, target_id=str(bob.pk)).order_by("id")
    failed, signed_in = [e for e in trail if e.action.startswith("sign_in.")]
    assert failed.action == "sign_in.failed" and failed.details["ip"] == "192.0.2.5"
    assert failed.actor is None
    assert signed_in.action == "sign_in.succeeded" and signed_in.actor == bob
    assert signed_in.details["ip"] == "192.0.2.6" and "Firefox" in signed_in.details["user_agent"]


def test_a_throttled_attempt_is_in_the_trail_too(bob):
    for _n in range(6):
        attempt("bob", "wrong")
    actions = list(
        AuditEvent.objects.filter(firm=bob.firm, action__startswith="sign_in.").values_list(
            "action", flat=True
        )
    )
    assert actions == ["sign_in.failed"] * 5 + ["sign_in.throttled"]
