"""OpenID Connect, the authorization code flow with PKCE, state and nonce: the provider's
discovery document, the address the member is sent to, the code exchanged for an ID
token (Authlib's OAuth 2 client) and the ID token's checks (joserfc: signature against
the provider's published keys, issuer, audience, expiry, nonce). Every failure is
translated here into a refusal with its own code (errors.py). The transport is httpx's
and can be injected (tests)."""

import warnings
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ClaimError,
    DecodeError,
    ExpiredTokenError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet

from .errors import (
    BadSignature,
    IdTokenExpired,
    ProviderRefused,
    ProviderUnreachable,
    SingleSignOnRefused,
    WrongAudience,
    WrongIssuer,
    WrongNonce,
)

with warnings.catch_warnings():
    # Authlib 1.9 asks for httpx's successor; the project speaks httpx everywhere.
    warnings.simplefilter("ignore")
    from authlib.integrations.httpx_client import OAuth2Client

TIMEOUT = 10.0
SCOPE = "openid email profile"
# Signatures accepted on ID tokens: asymmetric only (a provider's published keys).
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA"]
LEEWAY = 60  # seconds of clock difference with the provider


class DiscoveryFailed(Exception):
    """The issuer's discovery document could not be read, or is not one."""


@dataclass(frozen=True)
class Discovery:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


@dataclass(frozen=True)
class Provider:
    """What a sign-in needs of a firm's settings."""

    issuer: str
    client_id: str
    client_secret: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})


def secure_address(url: str) -> bool:
    """https, or http on this machine only (a provider run beside the app): the client
    secret, the code and the signing keys never cross a network in clear."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return True
    return parts.scheme == "http" and (parts.hostname or "") in LOOPBACK


def discover(issuer: str, transport: httpx.BaseTransport | None = None) -> Discovery:
    """Reads `issuer`/.well-known/openid-configuration; it must name this issuer and the
    three addresses the flow uses."""
    if not secure_address(issuer):
        raise DiscoveryFailed("the issuer's address is not https")
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        with httpx.Client(timeout=TIMEOUT, transport=transport) as http:
            answer = http.get(url, headers={"Accept": "application/json"})
        answer.raise_for_status()
        document = answer.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise DiscoveryFailed(str(exc)) from None
    if not isinstance(document, dict):
        raise DiscoveryFailed("not a JSON object")
    names = ("authorization_endpoint", "token_endpoint", "jwks_uri")
    if document.get("issuer") != issuer or not all(
        isinstance(document.get(n), str) and secure_address(document[n]) for n in names
    ):
        raise DiscoveryFailed("not the discovery document of this issuer")
    return Discovery(issuer, *(document[n] for n in names))


@dataclass(frozen=True)
class Start:
    """A sign-in started: where to send the browser, and what to keep until it is back."""

    url: str
    state: str
    nonce: str
    code_verifier: str


def start(provider: Provider, *, redirect_uri: str, login_hint: str = "") -> Start:
    state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
    client = OAuth2Client(
        provider.client_id, scope=SCOPE, redirect_uri=redirect_uri, code_challenge_method="S256"
    )
    extra = {"login_hint": login_hint} if login_hint else {}
    url, _state = client.create_authorization_url(
        provider.authorization_endpoint, state=state, code_verifier=verifier, nonce=nonce, **extra
    )
    return Start(url=url, state=state, nonce=nonce, code_verifier=verifier)


def exchange_code(
    provider: Provider,
    *,
    code: str,
    code_verifier: str,
    redirect_uri: str,
    transport: httpx.BaseTransport | None = None,
) -> str:
    """The ID token the provider gives for `code` (client_secret_basic, with the PKCE
    verifier)."""
    client = OAuth2Client(
        provider.client_id,
        provider.client_secret,
        token_endpoint_auth_method="client_secret_basic",  # noqa: S106  (a method's name)
        redirect_uri=redirect_uri,
        timeout=TIMEOUT,
        transport=transport,
    )
    try:
        with client:
            token = client.fetch_token(
                provider.token_endpoint, code=code, code_verifier=code_verifier
            )
    except OAuthError as exc:
        raise ProviderRefused() from exc
    except (httpx.HTTPError, ValueError) as exc:
        raise ProviderUnreachable() from exc
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise ProviderRefused()
    return id_token


def provider_keys(provider: Provider, transport: httpx.BaseTransport | None = None) -> KeySet:
    try:
        with httpx.Client(timeout=TIMEOUT, transport=transport) as http:
            answer = http.get(provider.jwks_uri)
        answer.raise_for_status()
        return KeySet.import_key_set(answer.json())
    except (httpx.HTTPError, ValueError, KeyError, TypeError, JoseError) as exc:
        raise ProviderUnreachable() from exc


CLAIM_REFUSALS: dict[str, type[SingleSignOnRefused]] = {
    "iss": WrongIssuer,
    "aud": WrongAudience,
    "nonce": WrongNonce,
    "exp": IdTokenExpired,
}


def verify_id_token(
    id_token: str, *, keys: KeySet, issuer: str, client_id: str, nonce: str
) -> dict[str, Any]:
    """The ID token's claims once its signature (one of `keys`), issuer, audience,
    expiry and nonce are right; otherwise the refusal that says which was not."""
    try:
        token = jwt.decode(id_token, keys, algorithms=ALGORITHMS)
    except (BadSignatureError, DecodeError, ValueError, JoseError) as exc:
        raise BadSignature() from exc
    registry = jwt.JWTClaimsRegistry(
        leeway=LEEWAY,
        iss={"essential": True, "value": issuer},
        aud={"essential": True, "value": client_id},
        exp={"essential": True},
        nonce={"essential": True, "value": nonce},
        sub={"essential": True},
    )
    try:
        registry.validate(token.claims)
    except ExpiredTokenError as exc:
        raise IdTokenExpired() from exc
    except (MissingClaimError, ClaimError) as exc:
        refusal = CLAIM_REFUSALS.get(getattr(exc, "claim", ""), SingleSignOnRefused)
        raise refusal() from exc
    return token.claims
