"""A member's passkeys (WebAuthn), a second factor beside the authenticator app:
registered and removed by the member in Settings → Security, used at sign-in instead of
a code and before sensitive settings. Each registration, removal and use, and each
passkey refused at sign-in, is in the firm's trail."""

from collections.abc import Mapping

from django.db import IntegrityError, transaction
from django.utils import timezone

from facturier.core.actions import action
from facturier.firms import audit
from facturier.firms.models import User

from .. import passkeys as ceremony
from ..errors import PasskeyAlreadyRegistered, PasskeyNameInvalid, PasskeyNotFound, PasskeyRefused
from ..events import AuditName
from ..models import Passkey, RecoveryCode
from .twofactor import has_second_factor, issue_recovery_codes


def passkeys_of(member: User) -> list[Passkey]:
    return list(Passkey.objects.filter(user=member))


def registration_options(member: User, *, site: ceremony.Site, challenge: dict) -> dict:
    """The options of a new passkey for `member` (their passkeys excluded)."""
    return ceremony.registration_options(
        site,
        user_id=member.pk,
        user_name=member.username,
        display_name=member.get_full_name(),
        challenge=challenge,
        existing=Passkey.objects.filter(user=member).values_list("credential_id", flat=True),
    )


def authentication_options(member: User, *, site: ceremony.Site, challenge: dict) -> dict:
    return ceremony.authentication_options(
        site,
        challenge=challenge,
        credential_ids=Passkey.objects.filter(user=member).values_list("credential_id", flat=True),
    )


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name or len(name) > 100:
        raise PasskeyNameInvalid()
    return name


@action
def add_passkey(
    *,
    by: User,
    name: str,
    credential: str | Mapping,
    site: ceremony.Site,
    challenge: Mapping | None,
) -> tuple[Passkey, list[str]]:
    """Registers the passkey `by`'s authenticator made for `challenge` (spent by the
    caller). With it comes a first set of recovery codes when it is `by`'s first second
    factor (returned, shown once), else none."""
    name = _clean_name(name)
    registered = ceremony.verify_registration(credential, site=site, challenge=challenge)
    if Passkey.objects.filter(credential_id=registered.credential_id).exists():
        raise PasskeyAlreadyRegistered()
    first = not has_second_factor(by)
    try:
        with transaction.atomic():  # the same passkey registered twice at once: one wins
            passkey = Passkey.objects.create(
                user=by,
                name=name,
                credential_id=registered.credential_id,
                public_key=registered.public_key,
                sign_count=registered.sign_count,
                transports=registered.transports,
                created_at=timezone.now(),
            )
    except IntegrityError:
        raise PasskeyAlreadyRegistered() from None
    codes = issue_recovery_codes(by) if first else []
    audit.record(
        AuditName.PASSKEY_ADDED, passkey, by=by, firm_id=by.firm_id, details={"name": name}
    )
    return passkey, codes


@action
def remove_passkey(passkey: Passkey | int, *, by: User) -> Passkey:
    """Removes one of `by`'s passkeys; with their last second factor go their recovery
    codes (as when the authenticator app is removed)."""
    pk = passkey.pk if isinstance(passkey, Passkey) else passkey
    found = Passkey.objects.filter(pk=pk, user=by).first()
    if found is None:
        raise PasskeyNotFound()
    audit.record(
        AuditName.PASSKEY_REMOVED, found, by=by, firm_id=by.firm_id, details={"name": found.name}
    )
    found.delete()
    if not has_second_factor(by):
        RecoveryCode.objects.filter(user=by).delete()
    return found


@action
def check_passkey(
    member: User,
    *,
    by: User | None = None,
    credential: str | Mapping,
    site: ceremony.Site,
    challenge: Mapping | None,
    purpose: str = "sign_in",
) -> Passkey:
    """`member`'s passkey answered `challenge` (spent by the caller): at sign-in (`by`:
    nobody is signed in yet) or before a sensitive change (`purpose` "step_up"). Its
    counter moves on; a refusal raises PasskeyRefused with its own code."""
    known = {
        p.credential_id: (bytes(p.public_key), p.sign_count)
        for p in Passkey.objects.select_for_update().filter(user=member)
    }
    asserted = ceremony.verify_assertion(credential, site=site, challenge=challenge, known=known)
    passkey = Passkey.objects.get(user=member, credential_id=asserted.credential_id)
    passkey.sign_count = asserted.sign_count
    passkey.last_used_at = timezone.now()
    passkey.save(update_fields=["sign_count", "last_used_at"])
    audit.record(
        AuditName.PASSKEY_USED,
        passkey,
        by=by or member,
        firm_id=member.firm_id,
        details={"name": passkey.name, "purpose": purpose},
    )
    return passkey


@action
def record_passkey_refusal(
    member: User, *, by: User | None = None, refusal: PasskeyRefused, ip: str, user_agent: str
) -> None:
    """A passkey refused at sign-in or before a sensitive change, with its code."""
    audit.record(
        AuditName.SIGN_IN_PASSKEY_REFUSED,
        member,
        by=by,
        firm_id=member.firm_id,
        details={"code": refusal.code, "ip": ip, "user_agent": user_agent[:200]},
    )
