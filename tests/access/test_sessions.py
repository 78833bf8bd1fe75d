"""Settings → Security lists a member's open sessions (device, IP address, last seen)
and ends the others at their request."""

import pytest
from django.core.cache import cache
from django.test import Client as Browser
from django.utils import translation

from facturier.firms.models import AuditEvent
from facturier.web.devices import device_name

pytestmark = pytest.mark.django_db

FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)


@pytest.fixture(autouse=True)
def _fresh_limits(django_db_blocker):
    with django_db_blocker.unblock():
        cache.clear()
    yield
    with django_db_blocker.unblock():
        cache.clear()


@pytest.fixture
def bob(firm, make_user):
    return make_user("bob", firm)


def sign_in(user, *, user_agent, ip, language="en"):
    browser = Browser(HTTP_USER_AGENT=user_agent, REMOTE_ADDR=ip, HTTP_ACCEPT_LANGUAGE=language)
    browser.post("/login/", {"username": user.username, "password": "pw-" + user.username})
    return browser


def test_the_member_sees_each_session_and_ends_the_others(bob, make_user, firm):
    laptop = sign_in(bob, user_agent=FIREFOX_WINDOWS, ip="203.0.113.10")
    phone = sign_in(bob, user_agent=SAFARI_IPHONE, ip="203.0.113.20")
    sign_in(make_user("carol", firm), user_agent=SAFARI_IPHONE, ip="203.0.113.30")
    page = laptop.get("/settings/security/").content.decode()
    assert "Firefox on Windows" in page and "Safari on iOS" in page
    assert "203.0.113.10" in page and "203.0.113.20" in page
    assert "203.0.113.30" not in page  # Carol's
    assert page.index("Firefox on Windows") < page.index("Safari on iOS")  # this one first
    ended = laptop.post("/settings/security/sessions/end/", follow=True)
    assert "1 other session ended." in ended.content.decode()
    assert phone.get("/billing/invoices/").status_code == 302  # back to the login page
    assert laptop.get("/billing/invoices/").status_code == 200
    page = laptop.get("/settings/security/").content.decode()
    assert "Safari on iOS" not in page
    event = AuditEvent.objects.get(action="sessions.ended", firm=firm)
    assert event.details == {"ended": 1} and event.actor == bob


def test_a_signed_out_session_leaves_the_list(bob):
    laptop = sign_in(bob, user_agent=FIREFOX_WINDOWS, ip="203.0.113.10")
    phone = sign_in(bob, user_agent=SAFARI_IPHONE, ip="203.0.113.20")
    phone.post("/logout/")
    assert "Safari on iOS" not in laptop.get("/settings/security/").content.decode()


def test_the_device_reads_in_french(bob):
    page = sign_in(bob, user_agent=FIREFOX_WINDOWS, ip="203.0.113.10", language="fr")
    assert "Firefox sous Windows" in page.get("/settings/security/").content.decode()


@pytest.mark.parametrize(
    ("user_agent", "device"),
    [
        (FIREFOX_WINDOWS, "Firefox on Windows"),
        (SAFARI_IPHONE, "Safari on iOS"),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like "
            "Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
            "Edge on macOS",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Mobile Safari/537.36",
            "Chrome on Android",
        ),
        ("curl/8.5.0", "Unknown device"),
        ("", "Unknown device"),
    ],
)
def test_device_names(user_agent, device):
    with translation.override("en"):
        assert device_name(user_agent) == device
