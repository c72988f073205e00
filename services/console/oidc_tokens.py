"""The ID token of an OpenID Connect login, verified before anyone is let in.

The signature is checked with PyJWT against the provider's published keys (the JWKS at the discovery document's
`jwks_uri`, kept in memory and fetched again when a token names a key id not seen yet: the provider rotated its
keys). Only asymmetric algorithms are accepted (RS256, ES256 and their kin): `alg: none`, and HS256 with the
public key used as a shared secret, are refused before any key is looked at. Then `iss` must be the configured
issuer, `aud` must hold the console's client id (and `azp` name it when there are several audiences), `exp`, `iat`
and `nbf` are compared with the console's clock (small leeway for clock drift), and `nonce` must be the one sent
with this browser's authorisation request.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
import jwt

# Asymmetric algorithms only: with a symmetric one the provider's public key would become a shared secret.
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]
LEEWAY_SECONDS = 60
# An unknown kid fetches the keys again at most this often: forged tokens naming made-up kids cannot make the console
# hammer the provider.
REFETCH_AFTER = timedelta(seconds=30)


class TokenRefused(Exception):
    """The ID token cannot be trusted; the message says why, for the person and the log."""


@dataclass
class KeySet:
    """The provider's signing keys by key id, fetched from its JWKS URL and fetched again on an unknown kid."""

    client: httpx.Client
    url: str
    clock: Callable[[], datetime]
    keys: dict[str, jwt.PyJWK] = field(default_factory=dict)
    fetched_at: datetime | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _fetch(self) -> None:
        response = self.client.get(self.url)
        response.raise_for_status()
        found: dict[str, jwt.PyJWK] = {}
        for entry in response.json().get("keys", []):
            if entry.get("use", "sig") != "sig":
                continue
            try:
                key = jwt.PyJWK(entry)
            except jwt.PyJWTError:
                continue  # a key type this library does not know: skipped, the others still serve
            found[str(entry.get("kid", ""))] = key
        self.keys = found
        self.fetched_at = self.clock()

    def key(self, kid: str) -> jwt.PyJWK:
        with self.lock:
            if kid not in self.keys and (self.fetched_at is None or self.clock() - self.fetched_at >= REFETCH_AFTER):
                self._fetch()
            if kid in self.keys:
                return self.keys[kid]
            if not kid and len(self.keys) == 1:
                return next(iter(self.keys.values()))
        raise TokenRefused(f"the ID token is signed with a key the provider does not publish (kid {kid!r})")


def verify(
    id_token: str,
    keys: KeySet,
    *,
    issuer: str,
    client_id: str,
    nonce: str,
    clock: Callable[[], datetime],
) -> dict[str, Any]:
    """The ID token's claims once its signature, issuer, audience, times and nonce are right; else TokenRefused."""
    try:
        header = jwt.get_unverified_header(id_token)
    except jwt.PyJWTError as exc:
        raise TokenRefused(f"the ID token is not a signed JWT ({exc})") from exc
    alg = str(header.get("alg", ""))
    if alg not in ALGORITHMS:
        raise TokenRefused(f"the ID token's algorithm {alg!r} is not accepted (only {', '.join(ALGORITHMS)})")
    key = keys.key(str(header.get("kid") or ""))
    try:
        claims: dict[str, Any] = jwt.decode(
            id_token,
            key,
            algorithms=[alg],
            audience=client_id,
            issuer=issuer,
            # Times are checked below against the injected clock, not the machine's.
            options={"verify_exp": False, "verify_iat": False, "verify_nbf": False, "require": ["exp", "iat", "sub"]},
        )
    except jwt.InvalidSignatureError as exc:
        raise TokenRefused("the ID token's signature does not match the provider's key") from exc
    except jwt.InvalidAudienceError as exc:
        raise TokenRefused(f"the ID token is not meant for this console (audience is not {client_id!r})") from exc
    except jwt.InvalidIssuerError as exc:
        raise TokenRefused(f"the ID token was not issued by {issuer!r}") from exc
    except jwt.PyJWTError as exc:
        raise TokenRefused(f"the ID token is refused ({exc})") from exc
    audiences = claims["aud"] if isinstance(claims.get("aud"), list) else [claims.get("aud")]
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise TokenRefused("the ID token names several audiences but was not issued to this console (azp)")
    now = clock().timestamp()
    try:
        expires, issued = float(claims["exp"]), float(claims["iat"])
        not_before = float(claims.get("nbf", issued))
    except (TypeError, ValueError) as exc:
        raise TokenRefused("the ID token's times are not numbers") from exc
    if expires + LEEWAY_SECONDS <= now:
        raise TokenRefused("the ID token has expired")
    if issued - LEEWAY_SECONDS > now or not_before - LEEWAY_SECONDS > now:
        raise TokenRefused("the ID token is dated in the future")
    if not nonce or not isinstance(claims.get("nonce"), str) or claims["nonce"] != nonce:
        raise TokenRefused("the ID token's nonce is not the one this login sent (a replayed token?)")
    return claims
