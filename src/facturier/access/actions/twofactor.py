"""Two factors: a member's authenticator app (TOTP, django-otp's device) and their
recovery codes, set up, checked at sign-in and removed by the member themselves."""

import secrets
import time

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from facturier.core.actions import action
from facturier.firms import audit
from facturier.firms.models import User

from ..errors import NoSecondFactor, TwoFactorsAlreadySet, WrongCode
from ..events import AuditName
from ..models import Passkey, RecoveryCode, hash_token
from .members import _member

RECOVERY_CODES = 10
# Letters and digits nobody misreads (no 0/O, 1/I/L).
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def new_totp_key() -> str:
    """A fresh TOTP secret (hex, as django-otp stores it), for the setup page to show."""
    return secrets.token_hex(20)


def totp_device(member: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=member, confirmed=True).first()


def has_totp(member: User) -> bool:
    return TOTPDevice.objects.filter(user=member, confirmed=True).exists()


def has_second_factor(member: User) -> bool:
    """An authenticator app or a passkey."""
    return has_totp(member) or Passkey.objects.filter(user=member).exists()


def recovery_codes_left(member: User) -> int:
    return RecoveryCode.objects.filter(user=member, used_at__isnull=True).count()


def _normalized(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def _recovery_digest(member: User, code: str) -> str:
    return hash_token(f"{member.pk}:{_normalized(code)}")


def issue_recovery_codes(member: User) -> list[str]:
    RecoveryCode.objects.filter(user=member).delete()
    codes = []
    for _n in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_ALPHABET) for _i in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=member, digest=_recovery_digest(member, code)) for code in codes
    )
    return codes


def _totp_matches(key: str, code: str) -> int | None:
    """The time step `code` is right for (one step of clock drift allowed), or None."""
    code = _normalized(code)
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = TOTP(bytes.fromhex(key), step=30, t0=0, digits=6)
    totp.time = time.time()
    if totp.verify(int(code), tolerance=1):
        return totp.t() + totp.drift
    return None


@action
def enable_totp(*, by: User, key: str, code: str) -> list[str]:
    """Sets up `by`'s authenticator app once a first code from it proves it holds `key`;
    returns the recovery codes, shown this once (only their hashes are kept)."""
    if has_totp(by):
        raise TwoFactorsAlreadySet()
    step = _totp_matches(key, code) if key else None
    if step is None:
        raise WrongCode()
    TOTPDevice.objects.filter(user=by).delete()
    TOTPDevice.objects.create(
        user=by, name=str(_("Authenticator app")), key=key, confirmed=True, last_t=step
    )
    codes = issue_recovery_codes(by)
    audit.record(AuditName.TOTP_ENABLED, by, by=by, firm_id=by.firm_id)
    return codes


def _check(member: User, code: str) -> str | None:
    """'totp' or 'recovery' when `code` is right (a recovery code is spent), else None.
    A TOTP code works once: django-otp keeps the last time step accepted."""
    device = totp_device(member)
    normalized = _normalized(code)
    if device is not None and normalized.isdigit() and device.verify_token(normalized):
        return "totp"
    spent = RecoveryCode.objects.filter(
        user=member, digest=_recovery_digest(member, code), used_at__isnull=True
    ).update(used_at=timezone.now())
    return "recovery" if spent else None


@action
def check_second_factor(member: User, *, by: User | None = None, code: str) -> str:
    """At sign-in, after the password: `member`'s TOTP code or one of their recovery
    codes (`by`: nobody is signed in yet). Returns which one worked."""
    kind = _check(member, code)
    if kind is None:
        raise WrongCode()
    if kind == "recovery":
        audit.record(
            AuditName.RECOVERY_CODE_USED,
            member,
            by=member,
            firm_id=member.firm_id,
            details={"left": recovery_codes_left(member)},
        )
    return kind


@action
def disable_totp(*, by: User, code: str) -> None:
    """Removes `by`'s authenticator app and recovery codes, on a current code from it
    (or a recovery code). The recovery codes go too unless a passkey remains."""
    if not has_totp(by):
        raise NoSecondFactor()
    if _check(by, code) is None:
        raise WrongCode()
    TOTPDevice.objects.filter(user=by).delete()
    if not has_second_factor(by):
        RecoveryCode.objects.filter(user=by).delete()
    audit.record(AuditName.TOTP_DISABLED, by, by=by, firm_id=by.firm_id)


@action
def renew_recovery_codes(*, by: User, code: str, confirmed: bool = False) -> list[str]:
    """New recovery codes (the old ones stop working), on a current code (app or
    recovery code). `confirmed`: a member with passkeys only confirmed with one
    recently (the step-up), which stands for the code."""
    if not has_second_factor(by):
        raise NoSecondFactor()
    passkey_confirmed = confirmed and not has_totp(by)
    if not passkey_confirmed and _check(by, code) is None:
        raise WrongCode()
    codes = issue_recovery_codes(by)
    audit.record(AuditName.RECOVERY_CODES_RENEWED, by, by=by, firm_id=by.firm_id)
    return codes


@action
def reset_two_factors(member: User | int, *, by: User) -> User:
    """A member who lost their app (or passkeys) and their recovery codes: the firm's
    administrator removes them all (the member signs in with the password alone, or
    sets up a new second factor at once where the firm requires two factors)."""
    member = _member(member, by)
    if not has_second_factor(member):
        raise NoSecondFactor()
    TOTPDevice.objects.filter(user=member).delete()
    Passkey.objects.filter(user=member).delete()
    RecoveryCode.objects.filter(user=member).delete()
    audit.record(AuditName.TWO_FACTORS_RESET, member, by=by, firm_id=by.firm_id)
    return member
