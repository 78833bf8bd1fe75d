"""The API's rate limit counts in a cache every process shares: the database by
default (the embedded default's gunicorn workers), Redis with CACHE_URL=redis://."""

import os

import pytest
from django.core.cache import caches
from django.db import connection

from facturier.api.throttling import TokenRateThrottle
from facturier.cache_url import CACHE_TABLE, cache_settings_from_url

pytestmark = pytest.mark.django_db

REDIS_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def three_a_minute(monkeypatch):
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"token": "3/minute"})


def _hit_until_refused(api):
    answers = [api.get("/api/v1/invoices/").status_code for _ in range(4)]
    return answers


def test_the_default_cache_is_the_database_and_counts_there(api, three_a_minute):
    assert caches["default"].__class__.__name__ == "DatabaseCache"
    answers = _hit_until_refused(api)
    assert answers == [200, 200, 200, 429]
    with connection.cursor() as cursor:  # where any other process reads the count
        cursor.execute(
            f"SELECT COUNT(*) FROM {connection.ops.quote_name(CACHE_TABLE)} "
            "WHERE cache_key LIKE %s",
            ["%throttle_token%"],
        )
        assert cursor.fetchone()[0] == 1
    refused = api.get("/api/v1/invoices/")
    assert refused.json()["code"] == "throttled" and "Retry-After" in refused


def test_redis_counts_for_deployments_with_several_hosts(api, three_a_minute, settings):
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis must run for CI at {REDIS_URL}")
        pytest.skip(f"no Redis at {REDIS_URL}")
    client.flushdb()
    settings.CACHES = cache_settings_from_url(REDIS_URL)
    try:
        assert caches["default"].__class__.__name__ == "RedisCache"
        assert _hit_until_refused(api) == [200, 200, 200, 429]
        keys = [k.decode() for k in client.keys("*")]
        assert any("throttle_token" in k for k in keys)
    finally:
        client.flushdb()


@pytest.mark.parametrize(
    "url, backend",
    [
        ("", "DatabaseCache"),
        ("db://", "DatabaseCache"),
        ("redis://cache.internal:6379/0", "RedisCache"),
        ("rediss://cache.internal:6380/0", "RedisCache"),
    ],
)
def test_cache_url(url, backend):
    assert cache_settings_from_url(url)["default"]["BACKEND"].endswith(backend)


def test_an_unknown_cache_scheme_is_refused():
    with pytest.raises(ValueError, match="unknown scheme"):
        cache_settings_from_url("memcached://x")
