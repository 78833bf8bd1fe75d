"""Two factors for tests: an authenticator app set up for a member, and a browser
session that confirmed a code just now (as Settings → Security → Confirm a code does)."""

import time

from django_otp.oath import totp

from facturier.access import actions as access_actions
from facturier.access.stepup import CONFIRMED_AT


def with_totp(member) -> str:
    """Sets up `member`'s authenticator app; returns its key."""
    key = access_actions.new_totp_key()
    access_actions.enable_totp(by=member, key=key, code=f"{totp(bytes.fromhex(key)):06d}")
    return key


def next_code(key: str) -> str:
    """The code of the next time step (the current one was spent setting the app up)."""
    return f"{totp(bytes.fromhex(key), t0=-30):06d}"


def confirmed(client, member, *, at: float | None = None) -> None:
    """`client` is signed in as `member`, who has an app, and confirmed a code at `at`."""
    if not access_actions.has_second_factor(member):
        with_totp(member)
    session = client.session
    session[CONFIRMED_AT] = time.time() if at is None else at
    session.save()
