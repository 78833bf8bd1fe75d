"""Two factors before sensitive settings (the e-invoicing platform's credentials, the
direct-debit account): the member has an authenticator app set up and, in a browser
session, confirmed a code from it in the last 10 minutes. An API token is its owner's
standing proof: its owner needs the app set up, no fresh code (a script cannot type one)."""

import time

from facturier.core.errors import DomainError

from .actions.twofactor import has_second_factor
from .errors import SecondFactorNeeded, SecondFactorNotConfirmed

CONFIRMED_WITHIN = 10 * 60  # seconds
# The session's key for when it last confirmed a code (a Unix time): set at sign-in with
# a code and by Settings → Security → Confirm a code.
CONFIRMED_AT = "second_factor_confirmed_at"


def step_up_refusal(
    user, *, confirmed_at: float | None, by_token: bool, now: float | None = None
) -> DomainError | None:
    """Why `user` may not change sensitive settings now, or None when they may.
    `confirmed_at`: when the session last confirmed a code (a Unix time)."""
    if not has_second_factor(user):
        return SecondFactorNeeded()
    if by_token:
        return None
    now = time.time() if now is None else now
    if confirmed_at is None or not (0 <= now - confirmed_at <= CONFIRMED_WITHIN):
        return SecondFactorNotConfirmed()
    return None


def sensitive_changes(stored, fields, names, *, kept_when_empty: tuple[str, ...] = ()) -> list[str]:
    """The names among `names` whose value in `fields` differs from `stored`'s (a row,
    or None before the first save); a field of `kept_when_empty` left empty keeps the
    stored value, so it changes nothing."""
    changed = []
    for name in names:
        if name not in fields or (name in kept_when_empty and not fields[name]):
            continue
        before = getattr(stored, name, None) if stored is not None else None
        if (fields[name] or "") != (before or ""):
            changed.append(name)
    return changed
