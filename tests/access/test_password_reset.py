"""A forgotten password: the link through the outbox (over real SMTP once the worker
runs), the same answer for an unknown address, and a limit per address and per IP."""

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client as Browser

from facturier.access.models import AccountEmail
from facturier.firms.models import User

from .conftest import link_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_limits(django_db_blocker):
    """The counts live in the cache (a table outside the tests' transactions)."""
    with django_db_blocker.unblock():
        cache.clear()
    yield
    with django_db_blocker.unblock():
        cache.clear()


@pytest.fixture
def bob(firm, make_user):
    user = make_user("bob", firm)
    user.email = "bob@cabinet.example"
    user.save()
    return user


@pytest.mark.django_db(transaction=True)
def test_the_reset_link_arrives_by_smtp_and_sets_a_new_password(smtp_server, bob):
    browser = Browser(HTTP_ACCEPT_LANGUAGE="fr")
    login_page = browser.get("/login/").content.decode()
    assert "Mot de passe oublié ?" in login_page
    answer = browser.post("/password/forgotten/", {"email": "Bob@cabinet.example"})
    assert answer.status_code == 302 and smtp_server.handler.received == []
    call_command("outbox_worker", once=True, interval=0)
    [(recipients, message)] = smtp_server.handler.received
    assert recipients == ["bob@cabinet.example"]
    assert "mot de passe" in message["Subject"]
    link = link_in(message)
    form = browser.get(link, follow=True)
    assert form.status_code == 200
    chosen = browser.post(
        form.redirect_chain[-1][0],
        {"new_password1": "Soleil-de-juin-7", "new_password2": "Soleil-de-juin-7"},
    )
    assert chosen.status_code == 302
    assert User.objects.get(pk=bob.pk).check_password("Soleil-de-juin-7")
    again = Browser().get(link, follow=True)
    assert b'data-code="reset_link_invalid"' in again.content  # used once


def test_an_unknown_address_gets_the_same_answer_and_no_mail(bob):
    known = Browser().post("/password/forgotten/", {"email": "bob@cabinet.example"})
    unknown = Browser().post("/password/forgotten/", {"email": "nobody@cabinet.example"})
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert AccountEmail.objects.count() == 1


def test_asking_too_often_is_refused_per_address_and_per_ip(bob):
    browser = Browser()
    for _ in range(5):
        assert (
            browser.post("/password/forgotten/", {"email": "bob@cabinet.example"}).status_code
            == 302
        )
    refused = browser.post("/password/forgotten/", {"email": "bob@cabinet.example"})
    assert refused.status_code == 429 and b'data-code="rate_limited"' in refused.content
    assert AccountEmail.objects.count() == 5
    for n in range(14):
        browser.post("/password/forgotten/", {"email": f"x{n}@cabinet.example"})
    other_address = browser.post("/password/forgotten/", {"email": "y@cabinet.example"})
    assert other_address.status_code == 429  # the same IP, past 20 an hour
    elsewhere = Browser(REMOTE_ADDR="10.0.0.9")
    assert elsewhere.post("/password/forgotten/", {"email": "z@cabinet.example"}).status_code == 302
