"""CACHE_URL -> Django's CACHES.

db:// (the default): Django's database cache, in the app's own database, so every
process of one deployment shares it (rate limits count once, not per worker).
redis://host:6379/0 or rediss://...: Redis, for deployments with several hosts.
locmem:// and dummy:// exist for experiments; nothing that needs a shared count
should run on them.
"""

from urllib.parse import urlsplit

CACHE_TABLE = "facturier_cache"


def cache_settings_from_url(url: str) -> dict[str, dict]:
    scheme = urlsplit(url).scheme.lower() if url else "db"
    if scheme == "db":
        backend = {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": CACHE_TABLE,
        }
    elif scheme in {"redis", "rediss"}:
        backend = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    elif scheme == "locmem":
        backend = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    elif scheme == "dummy":
        backend = {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    else:
        raise ValueError(f"CACHE_URL: unknown scheme {scheme!r}")
    return {"default": {**backend, "KEY_PREFIX": "facturier", "TIMEOUT": 300}}
