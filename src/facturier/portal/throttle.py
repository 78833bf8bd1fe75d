"""Sign-in links asked for: limited per address and per IP address, in the shared cache
(CACHE_URL), whether the address is known or not."""

from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

WINDOW = 15 * 60
LIMITS = {"address": 5, "ip": 20}


def client_ip(request) -> str:
    return BaseThrottle().get_ident(request) or ""


def _keys(request, email: str) -> dict[str, str]:
    return {
        "address": f"portal-links:address:{(email or '').strip().lower()}",
        "ip": f"portal-links:ip:{client_ip(request)}",
    }


def spend(request, email: str) -> bool:
    """Count one more request; False when the address or the IP is over its limit."""
    keys = _keys(request, email)
    counts = cache.get_many(list(keys.values()))
    if any(counts.get(key, 0) >= LIMITS[scope] for scope, key in keys.items()):
        return False
    for key in keys.values():
        cache.add(key, 0, timeout=WINDOW)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=WINDOW)
    return True
