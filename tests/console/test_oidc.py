"""OpenID Connect login against a stand-in identity provider served over real HTTP: it publishes its JWKS and signs
ID tokens with freshly generated RSA and EC keys. A good token lets an existing console user in; a token signed by
another key, expired, for another audience, from another issuer, with another nonce, unsigned (`alg: none`) or
HMAC-signed with the public key is refused with the reason, and no session is opened."""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from services.console.main import create_app
from services.console.users import fast_hasher
from shared.settings import ConsoleSettings
from tests.browser import serve

CLIENT_ID = "crm-console"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class Provider:
    """The identity provider: its keys, the JWKS it publishes, and the ID token its token endpoint hands out next."""

    issuer: str = ""
    rsa_key: Any = field(default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048))
    ec_key: Any = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    rsa_kid: str = "rsa-1"
    jwks_fetches: int = 0
    token_requests: list[dict[str, str]] = field(default_factory=list)
    mint: Callable[[], str] = lambda: ""

    def jwks(self) -> dict[str, Any]:
        rsa_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.rsa_key.public_key()))
        ec_jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(self.ec_key.public_key()))
        return {
            "keys": [
                rsa_jwk | {"kid": self.rsa_kid, "use": "sig", "alg": "RS256"},
                ec_jwk | {"kid": "ec-1", "use": "sig", "alg": "ES256"},
            ]
        }

    def claims(self, nonce: str, now: float, **changes: Any) -> dict[str, Any]:
        base = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "sub": "42",
            "preferred_username": "z.rahimi",
            "iat": int(now),
            "exp": int(now) + 300,
            "nonce": nonce,
        }
        return {key: value for key, value in (base | changes).items() if value is not None}

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/.well-known/openid-configuration")
        def discovery() -> dict[str, str]:
            return {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/auth",
                "token_endpoint": f"{self.issuer}/token",
                "userinfo_endpoint": f"{self.issuer}/userinfo",
                "jwks_uri": f"{self.issuer}/jwks",
            }

        @app.get("/jwks")
        def jwks() -> dict[str, Any]:
            self.jwks_fetches += 1
            return self.jwks()

        @app.post("/token")
        async def token(request: Request) -> dict[str, str]:
            form = dict(parse_qsl((await request.body()).decode()))
            assert request.headers["authorization"].startswith("Basic ")
            self.token_requests.append(form)
            return {"access_token": "at-1", "token_type": "Bearer", "id_token": self.mint()}

        return app


@dataclass
class Login:
    client: TestClient
    app: FastAPI
    provider: Provider
    now: float

    def attempt(self, make: Callable[[str], str]) -> httpx.Response:
        """Starts a login in a fresh browser; the provider answers with the token `make(nonce)` returns."""
        self.client.cookies.clear()
        start = self.client.get("/oidc/login")
        assert start.status_code == 303, start.text
        params = httpx.URL(start.headers["location"]).params
        self.provider.mint = lambda: make(params["nonce"])
        return self.client.get("/oidc/callback", params={"state": params["state"], "code": "code-1"})

    def refused(self, make: Callable[[str], str], reason: str) -> None:
        response = self.attempt(make)
        assert response.status_code == 401, response.text
        assert reason in html.unescape(response.text), response.text[-1500:]
        assert "crm_session" not in self.client.cookies
        assert self.client.get("/work").headers["location"].startswith("/login")

    def rs256(self, nonce: str, key: Any = None, kid: str | None = None, **changes: Any) -> str:
        claims = self.provider.claims(nonce, self.now, **changes)
        headers = {"kid": kid or self.provider.rsa_kid}
        return jwt.encode(claims, key or self.provider.rsa_key, algorithm="RS256", headers=headers)


@pytest.fixture
def login(settings, clock) -> Iterator[Login]:
    provider = Provider()
    with serve(provider.app()) as base:
        provider.issuer = base
        config = ConsoleSettings(
            oidc_issuer=base,
            oidc_client_id=CLIENT_ID,
            oidc_client_secret="s3cret",
            oidc_redirect_url="https://crm.chamber.example/oidc/callback",
        )
        app = create_app(settings.model_copy(update={"console": config}), clock=clock, hasher=fast_hasher())
        app.state.console.directory.add("z.rahimi", ["expert"], by="operator", unit="member_relations")
        with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
            yield Login(client, app, provider, clock().timestamp())


def test_a_good_rs256_id_token_logs_in_the_console_user_it_names(login: Login) -> None:
    assert 'href="/oidc/login"' in login.client.get("/login").text
    start = login.client.get("/oidc/login")
    location = httpx.URL(start.headers["location"])
    assert str(location).startswith(f"{login.provider.issuer}/auth?")
    assert location.params["code_challenge_method"] == "S256" and location.params["nonce"]
    assert login.client.get("/oidc/callback", params={"state": "forged", "code": "c"}).status_code == 401

    back = login.attempt(login.rs256)
    assert back.status_code == 303 and back.headers["location"] == "/work", back.text
    verifier = login.provider.token_requests[-1]["code_verifier"]
    challenge = _b64(hashlib.sha256(verifier.encode()).digest())
    assert login.provider.token_requests[-1]["grant_type"] == "authorization_code" and challenge
    assert login.client.get("/work").status_code == 200
    session = login.app.state.console.directory.session(login.client.cookies["crm_session"])
    assert session.user.name == "z.rahimi" and login.app.state.tokens.verify(session.token).name == "z.rahimi"


def test_an_es256_id_token_is_accepted_and_a_stranger_is_not_a_user(login: Login) -> None:
    def es256(nonce: str, who: str = "z.rahimi") -> str:
        claims = login.provider.claims(nonce, login.now, preferred_username=who)
        return jwt.encode(claims, login.provider.ec_key, algorithm="ES256", headers={"kid": "ec-1"})

    assert login.attempt(es256).headers["location"] == "/work"
    stranger = login.attempt(lambda nonce: es256(nonce, "stranger"))
    assert stranger.status_code == 403 and "is not a user of the console" in stranger.text


def test_the_keys_are_fetched_once_and_again_when_the_provider_rotates_them(login: Login, clock) -> None:
    assert login.attempt(login.rs256).status_code == 303
    assert login.attempt(login.rs256).status_code == 303
    assert login.provider.jwks_fetches == 1
    login.provider.rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    login.provider.rsa_kid = "rsa-2"
    clock.advance(seconds=30)
    assert login.attempt(login.rs256).status_code == 303
    assert login.provider.jwks_fetches == 2
    # Made-up key ids do not make the console fetch the keys again and again
    for kid in ("made-up-1", "made-up-2"):
        login.refused(lambda nonce, kid=kid: login.rs256(nonce, kid=kid), "a key the provider does not publish")
    assert login.provider.jwks_fetches == 2


def test_a_token_signed_by_another_key_is_refused(login: Login) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    login.refused(lambda nonce: login.rs256(nonce, key=other), "signature does not match")
    login.refused(lambda nonce: login.rs256(nonce, key=other, kid="unknown"), "a key the provider does not publish")


def test_an_expired_token_is_refused_by_the_console_s_clock(login: Login, clock) -> None:
    login.refused(lambda nonce: login.rs256(nonce, exp=int(login.now) - 120), "has expired")
    login.refused(lambda nonce: login.rs256(nonce, iat=int(login.now) + 3600), "dated in the future")
    login.refused(lambda nonce: login.rs256(nonce, exp=None), "exp")


def test_a_token_for_another_audience_or_from_another_issuer_is_refused(login: Login) -> None:
    login.refused(lambda nonce: login.rs256(nonce, aud="another-app"), "not meant for this console")
    login.refused(lambda nonce: login.rs256(nonce, aud=["another-app", CLIENT_ID]), "azp")
    login.refused(lambda nonce: login.rs256(nonce, iss="https://evil.example"), "not issued by")


def test_a_token_with_another_nonce_is_refused(login: Login) -> None:
    login.refused(lambda nonce: login.rs256("an-earlier-login"), "nonce")
    login.refused(lambda nonce: login.rs256(None), "nonce")


def test_an_unsigned_token_and_one_hmac_signed_with_the_public_key_are_refused(login: Login) -> None:
    def forged(nonce: str, alg: str) -> str:
        header = _b64(json.dumps({"alg": alg, "kid": login.provider.rsa_kid, "typ": "JWT"}).encode())
        body = _b64(json.dumps(login.provider.claims(nonce, login.now)).encode())
        if alg == "none":
            return f"{header}.{body}."
        public = login.provider.rsa_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        signature = hmac.new(public, f"{header}.{body}".encode(), hashlib.sha256).digest()
        return f"{header}.{body}.{_b64(signature)}"

    login.refused(lambda nonce: forged(nonce, "none"), "algorithm 'none' is not accepted")
    login.refused(lambda nonce: forged(nonce, "HS256"), "algorithm 'HS256' is not accepted")
