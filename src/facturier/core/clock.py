"""The one clock of the domain: actions take "now" from here (tests may pass their own)."""

import datetime

from django.utils import timezone


def now(at: datetime.datetime | None = None) -> datetime.datetime:
    """`at` when given (a test, a replayed import), else the current instant (UTC-aware)."""
    return at or timezone.now()
