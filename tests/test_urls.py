"""Ids in URLs: a number too large for the database is a 404, on every page and operation."""

import re

import pytest
from django.urls import get_resolver

from tests.test_writes_through_actions import _patterns

pytestmark = pytest.mark.django_db


def _routes_with_ids():
    for route, _pattern in _patterns(get_resolver().url_patterns):
        if "<" in route and not route.startswith(("admin/", "^")):
            yield route


@pytest.mark.parametrize("digits", ["9" * 18, "9" * 19, "1" + "0" * 25])
def test_an_id_beyond_the_database_range_is_a_404(client, api, alice, digits):
    client.force_login(alice)
    routes = list(_routes_with_ids())
    assert len(routes) > 20
    for route in routes:
        url = "/" + re.sub(r"<(?:\w+:)?pk>", digits, route)
        agent = api if url.startswith("/api/") else client
        for method in ("get", "post", "delete"):
            response = getattr(agent, method)(url)
            # Not found, refused, or sent back with a message: never a 500, nor a page.
            assert 300 <= response.status_code < 500, (method, url, response.status_code)
