import pytest
from rest_framework.test import APIClient

from facturier.api.models import ApiToken


@pytest.fixture
def api_for():
    def make(user):
        _token, raw = ApiToken.issue(user, "tests")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return client

    return make


@pytest.fixture
def api(api_for, alice):
    return api_for(alice)
