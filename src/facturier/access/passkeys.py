"""Passkeys (WebAuthn) as a second factor: the ceremonies' options sent to the browser
and the checks of what the authenticator answered, with py_webauthn doing the
cryptography. Nothing here writes: actions/passkeys.py stores what these checks return.

The relying party is the site as its members reach it: its id is the host name the
request came to (one ALLOWED_HOSTS accepts), its origin the scheme and host. A
challenge is kept by the caller (the browser session), works once and for
CHALLENGE_TTL seconds; each refusal has its own code (errors.py)."""

import hashlib
import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import webauthn
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    generate_challenge,
    parse_attestation_object,
    parse_authentication_credential_json,
    parse_authenticator_data,
    parse_client_data_json,
    parse_registration_credential_json,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from .errors import (
    PasskeyChallengeExpired,
    PasskeyChallengeUsed,
    PasskeyCounterRegressed,
    PasskeyRefused,
    PasskeyUnknown,
    PasskeyWrongSite,
)

CHALLENGE_TTL = 5 * 60  # seconds
TIMEOUT_MS = CHALLENGE_TTL * 1000


@dataclass(frozen=True)
class Site:
    """The relying party: `rp_id` a host name ("localhost", "facturier.example"),
    `origin` where pages are served ("https://facturier.example")."""

    rp_id: str
    origin: str
    name: str = "facturier"


@dataclass(frozen=True)
class Registered:
    credential_id: str  # base64url
    public_key: bytes
    sign_count: int
    transports: list[str]


@dataclass(frozen=True)
class Asserted:
    credential_id: str
    sign_count: int


def site_for(scheme: str, host: str) -> Site:
    """The site a request reached: `host` as Django's request.get_host() gives it."""
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    return Site(rp_id=name.strip("[]").lower(), origin=f"{scheme}://{host}".lower())


def new_challenge(now: float | None = None) -> dict:
    """A fresh challenge, as the session keeps it."""
    return {
        "value": bytes_to_base64url(generate_challenge()),
        "at": time.time() if now is None else now,
    }


def _descriptors(credential_ids: Iterable[str]) -> list[PublicKeyCredentialDescriptor]:
    return [PublicKeyCredentialDescriptor(id=base64url_to_bytes(cid)) for cid in credential_ids]


def registration_options(
    site: Site,
    *,
    user_id: int,
    user_name: str,
    display_name: str,
    challenge: dict,
    existing: Iterable[str] = (),
) -> dict:
    """What navigator.credentials.create() needs (JSON, binary as base64url)."""
    options = webauthn.generate_registration_options(
        rp_id=site.rp_id,
        rp_name=site.name,
        user_id=hashlib.sha256(f"facturier-member:{user_id}".encode()).digest(),
        user_name=user_name,
        user_display_name=display_name or user_name,
        challenge=base64url_to_bytes(challenge["value"]),
        timeout=TIMEOUT_MS,
        exclude_credentials=_descriptors(existing),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
    )
    return json.loads(webauthn.options_to_json(options))


def authentication_options(site: Site, *, challenge: dict, credential_ids: Iterable[str]) -> dict:
    """What navigator.credentials.get() needs, limited to the member's passkeys."""
    options = webauthn.generate_authentication_options(
        rp_id=site.rp_id,
        challenge=base64url_to_bytes(challenge["value"]),
        timeout=TIMEOUT_MS,
        allow_credentials=_descriptors(credential_ids),
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return json.loads(webauthn.options_to_json(options))


def _pending_challenge(challenge: Mapping[str, Any] | None, now: float) -> bytes:
    if not challenge or "value" not in challenge:
        raise PasskeyChallengeUsed()
    if not 0 <= now - float(challenge.get("at", 0)) <= CHALLENGE_TTL:
        raise PasskeyChallengeExpired()
    return base64url_to_bytes(challenge["value"])


def _check_client_data(raw: bytes, *, kind: str, expected: bytes, site: Site) -> None:
    """The browser's account of the ceremony: its kind, challenge and origin."""
    try:
        client_data = parse_client_data_json(raw)
    except WebAuthnException:
        raise PasskeyRefused() from None
    if client_data.type != kind:
        raise PasskeyRefused()
    if client_data.challenge != expected:
        # An answer to an earlier request, replayed.
        raise PasskeyChallengeUsed()
    if (client_data.origin or "").lower() != site.origin:
        raise PasskeyWrongSite()


def _check_rp(rp_id_hash: bytes, site: Site) -> None:
    if rp_id_hash != hashlib.sha256(site.rp_id.encode()).digest():
        raise PasskeyWrongSite()


def _as_json(credential: str | Mapping) -> str:
    if isinstance(credential, str):
        return credential
    return json.dumps(dict(credential))


def verify_registration(
    credential: str | Mapping, *, site: Site, challenge: Mapping | None, now: float | None = None
) -> Registered:
    """What the authenticator answered to navigator.credentials.create()."""
    expected = _pending_challenge(challenge, time.time() if now is None else now)
    try:
        parsed = parse_registration_credential_json(_as_json(credential))
        auth_data = parse_attestation_object(parsed.response.attestation_object).auth_data
    except (WebAuthnException, ValueError, TypeError, KeyError):
        raise PasskeyRefused() from None
    _check_client_data(
        parsed.response.client_data_json, kind="webauthn.create", expected=expected, site=site
    )
    _check_rp(auth_data.rp_id_hash, site)
    try:
        verified = webauthn.verify_registration_response(
            credential=parsed,
            expected_challenge=expected,
            expected_rp_id=site.rp_id,
            expected_origin=site.origin,
        )
    except WebAuthnException:
        raise PasskeyRefused() from None
    return Registered(
        credential_id=bytes_to_base64url(verified.credential_id),
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=[str(t.value) for t in (parsed.response.transports or [])],
    )


def credential_id_of(credential: str | Mapping) -> str:
    """The id of the passkey an answer to navigator.credentials.get() names."""
    try:
        parsed = parse_authentication_credential_json(_as_json(credential))
    except (WebAuthnException, ValueError, TypeError, KeyError):
        raise PasskeyRefused() from None
    return bytes_to_base64url(parsed.raw_id)


def verify_assertion(
    credential: str | Mapping,
    *,
    site: Site,
    challenge: Mapping | None,
    known: Mapping[str, tuple[bytes, int]],
    now: float | None = None,
) -> Asserted:
    """What the authenticator answered to navigator.credentials.get(); `known` maps each
    of the member's passkeys (credential id) to its public key and last counter."""
    expected = _pending_challenge(challenge, time.time() if now is None else now)
    try:
        parsed = parse_authentication_credential_json(_as_json(credential))
        auth_data = parse_authenticator_data(parsed.response.authenticator_data)
    except (WebAuthnException, ValueError, TypeError, KeyError):
        raise PasskeyRefused() from None
    _check_client_data(
        parsed.response.client_data_json, kind="webauthn.get", expected=expected, site=site
    )
    _check_rp(auth_data.rp_id_hash, site)
    credential_id = bytes_to_base64url(parsed.raw_id)
    if credential_id not in known:
        raise PasskeyUnknown()
    public_key, last_count = known[credential_id]
    if (auth_data.sign_count or last_count) and auth_data.sign_count <= last_count:
        raise PasskeyCounterRegressed()
    try:
        verified = webauthn.verify_authentication_response(
            credential=parsed,
            expected_challenge=expected,
            expected_rp_id=site.rp_id,
            expected_origin=site.origin,
            credential_public_key=public_key,
            credential_current_sign_count=last_count,
        )
    except WebAuthnException:
        raise PasskeyRefused() from None
    return Asserted(credential_id=credential_id, sign_count=verified.new_sign_count)
