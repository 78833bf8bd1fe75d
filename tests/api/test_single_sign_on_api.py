"""The firm's single sign-on in the API: read and set with the settings right, the
secret written and never read back, an issuer that does not answer refused with its
code."""

import pytest
from django.contrib.auth.models import Permission

from facturier.access.models import SingleSignOn
from tests.oidc import CLIENT_ID, CLIENT_SECRET, free_port, running_provider
from tests.stepup import with_totp

pytestmark = pytest.mark.django_db

URL = "/api/v1/settings/single-sign-on/"


@pytest.fixture
def manager(firm, make_user):
    user = make_user("mia", firm)
    user.user_permissions.add(Permission.objects.get(codename="manage_templates"))
    with_totp(user)  # naming the provider needs two factors (a token: its owner's app)
    return user


def test_set_read_and_remove_with_the_secret_never_read_back(api_for, manager, firm):
    api = api_for(manager)
    assert api.get(URL).json()["configured"] is False
    with running_provider(["http://testserver/login/sso/callback/"]) as issuer:
        body = {"issuer": issuer, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
        answer = api.put(URL, body, format="json")
    assert answer.status_code == 200, answer.json()
    assert answer.json() == {
        "issuer": issuer,
        "client_id": CLIENT_ID,
        "sso_only": False,
        "trust_provider_emails": False,
        "configured": True,
        "redirect_uri": "http://testserver/login/sso/callback/",
    }
    assert CLIENT_SECRET not in api.get(URL).content.decode()
    assert SingleSignOn.objects.get(firm=firm).client_secret == CLIENT_SECRET
    assert api.delete(URL).status_code == 204
    assert not SingleSignOn.objects.exists()


def test_an_issuer_that_does_not_answer_is_refused_with_its_code(api_for, manager):
    body = {
        "issuer": f"http://127.0.0.1:{free_port()}",
        "client_id": CLIENT_ID,
        "client_secret": "x",
    }
    answer = api_for(manager).put(URL, body, format="json")
    assert answer.status_code == 422
    assert answer.json()["codes"] == {"issuer": ["issuer_unreachable"]}
    assert not SingleSignOn.objects.exists()


def test_without_the_settings_right_nothing_is_read_or_set(api, firm):
    assert api.get(URL).status_code == 403
    body = {"issuer": "https://id.example", "client_id": "x", "client_secret": "y"}
    assert api.put(URL, body, format="json").status_code == 403
    assert api.delete(URL).status_code == 403


def test_naming_the_provider_needs_two_factors(api_for, firm, make_user):
    user = make_user("noa", firm)
    user.user_permissions.add(Permission.objects.get(codename="manage_templates"))
    body = {"issuer": "https://id.example", "client_id": "x", "client_secret": "y"}
    answer = api_for(user).put(URL, body, format="json")
    assert answer.status_code == 403
    assert answer.json()["code"] == "second_factor_needed"
    assert not SingleSignOn.objects.exists()


def test_a_provider_in_clear_text_is_refused(api_for, manager):
    body = {"issuer": "http://id.example", "client_id": "x", "client_secret": "y"}
    answer = api_for(manager).put(URL, body, format="json")
    assert answer.status_code == 422
    assert answer.json()["codes"] == {"issuer": ["issuer_unreachable"]}
