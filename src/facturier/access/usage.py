"""When each API token was last used: kept in the shared cache, not written to the
database on every request (a GET changes no stored state)."""

import datetime

from django.core.cache import cache
from django.utils import timezone

KEY = "api-token-used:{}"
KEEP = 90 * 24 * 3600  # seconds


def note_use(token_id: int) -> None:
    cache.set(KEY.format(token_id), timezone.now().isoformat(), KEEP)


def last_used(tokens) -> dict[int, datetime.datetime]:
    """{token id: when it was last used}, from the cache, else as the token row has it."""
    tokens = list(tokens)
    seen = cache.get_many([KEY.format(t.pk) for t in tokens])
    used = {}
    for token in tokens:
        stamp = seen.get(KEY.format(token.pk))
        when = datetime.datetime.fromisoformat(stamp) if stamp else token.last_used_at
        if when is not None:
            used[token.pk] = when
    return used
