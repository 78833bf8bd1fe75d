"""When each API token was last used, to the minute: kept in the shared cache, not
written to the database on every request (a GET changes no stored state)."""

import datetime
import time

from django.core.cache import cache
from django.utils import timezone

KEY = "api-token-used:{}"
KEEP = 90 * 24 * 3600  # seconds
EVERY = 60  # seconds: a token's use is noted at most this often by one process

_noted: dict[int, float] = {}  # token id -> when this process last noted it (monotonic)


def note_use(token_id: int) -> None:
    now = time.monotonic()
    if now - _noted.get(token_id, -EVERY) < EVERY:
        return
    _noted[token_id] = now
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
