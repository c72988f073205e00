"""OpenID Connect login (authorization-code flow with PKCE) for chambers that run an identity provider.

Set CRM_CONSOLE__OIDC_ISSUER, CRM_CONSOLE__OIDC_CLIENT_ID, CRM_CONSOLE__OIDC_CLIENT_SECRET and
CRM_CONSOLE__OIDC_REDIRECT_URL (the console's https://…/oidc/callback as registered at the provider); the login page
then offers the provider's login. The console reads the provider's discovery document, sends the person there with a
random state, a nonce and a PKCE challenge (all kept in an HttpOnly cookie of this browser), and exchanges the code at
the token endpoint with the client's secret. The ID token that comes back is verified (oidc_tokens: signature
against the provider's JWKS, issuer, audience, times, nonce) and its claims name the person: the claim
CRM_CONSOLE__OIDC_USERNAME_CLAIM (preferred_username; `email` when the provider does not send it) names a console
user, who must exist and be enabled: roles and unit stay the admins' decision in the console. A provider that puts
the name only in the userinfo endpoint's answer is asked there, and that answer counts only for the same `sub`.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any
from urllib.parse import urlencode

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.console import locales
from services.console.oidc_tokens import KeySet, TokenRefused, verify
from services.console.web import COOKIE, console, render, see_other, set_cookie

oidc = APIRouter(prefix="/oidc", include_in_schema=False)
FLOW_COOKIE = "crm_oidc"


def _client(request: Request) -> httpx.Client:
    client = getattr(request.app.state, "oidc_client", None)
    if client is None:
        client = request.app.state.oidc_client = httpx.Client(timeout=10)
    return client


def _discovery(request: Request) -> dict[str, Any]:
    cached = getattr(request.app.state, "oidc_discovery", None)
    if cached is None:
        issuer = (console(request).settings.console.oidc_issuer or "").rstrip("/")
        response = _client(request).get(f"{issuer}/.well-known/openid-configuration")
        response.raise_for_status()
        cached = request.app.state.oidc_discovery = response.json()
    return cached


def _keys(request: Request, endpoints: dict[str, Any]) -> KeySet:
    keys: KeySet | None = getattr(request.app.state, "oidc_keys", None)
    if keys is None:
        keys = request.app.state.oidc_keys = KeySet(
            _client(request), str(endpoints["jwks_uri"]), console(request).directory.clock
        )
    return keys


def _issuer(endpoints: dict[str, Any], configured: str) -> str:
    """The issuer as the provider spells it (a trailing slash or not), which must be the configured one."""
    published = str(endpoints.get("issuer") or "")
    return published if published.rstrip("/") == configured else configured


def _refused(request: Request, detail: str, status: int = 401) -> HTMLResponse:
    words = locales.words("fa")
    return render(
        request,
        None,
        "error.html.j2",
        status,
        language="fa",
        error={"status": status, "title": words["error_401"], "detail": detail},
    )


@oidc.get("/login")
def start(request: Request) -> Response:
    config = console(request).settings.console
    if not (config.oidc_issuer and config.oidc_client_id and config.oidc_redirect_url):
        return _refused(request, "OpenID Connect login is not configured", 404)
    try:
        endpoint = _discovery(request)["authorization_endpoint"]
    except (httpx.HTTPError, KeyError, ValueError) as exc:
        return _refused(request, f"the identity provider cannot be reached ({exc})", 503)
    state = secrets.token_urlsafe(24)
    verifier = secrets.token_urlsafe(48)
    nonce = secrets.token_urlsafe(24)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = urlencode(
        {
            "response_type": "code",
            "client_id": config.oidc_client_id,
            "redirect_uri": config.oidc_redirect_url,
            "scope": "openid profile email",
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    response = see_other(f"{endpoint}?{query}")
    set_cookie(request, response, FLOW_COOKIE, f"{state}.{verifier}.{nonce}", max_age=600)
    return response


@oidc.get("/callback")
def callback(request: Request) -> Response:
    state = console(request)
    config = state.settings.console
    flow = request.cookies.get(FLOW_COOKIE, "")
    expected, _, rest = flow.partition(".")
    verifier, _, nonce = rest.partition(".")
    given = request.query_params.get("state", "")
    code = request.query_params.get("code", "")
    if not expected or not nonce or not secrets.compare_digest(given, expected) or not code:
        return _refused(request, "the login did not come back from the login it started")
    issuer = (config.oidc_issuer or "").rstrip("/")
    try:
        endpoints = _discovery(request)
        token = _client(request).post(
            endpoints["token_endpoint"],
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": config.oidc_redirect_url,
                "code_verifier": verifier,
            },
            auth=(config.oidc_client_id or "", config.oidc_client_secret or ""),
        )
        token.raise_for_status()
        tokens = token.json()
        claims = verify(
            str(tokens["id_token"]),
            _keys(request, endpoints),
            issuer=_issuer(endpoints, issuer),
            client_id=config.oidc_client_id or "",
            nonce=nonce,
            clock=state.directory.clock,
        )
        name = str(claims.get(config.oidc_username_claim) or claims.get("email") or "")
        if not name and endpoints.get("userinfo_endpoint"):
            info = _client(request).get(
                endpoints["userinfo_endpoint"], headers={"Authorization": f"Bearer {tokens['access_token']}"}
            )
            info.raise_for_status()
            found = info.json()
            if found.get("sub") == claims["sub"]:  # OpenID Connect Core 5.3.2: the same person, or nobody
                name = str(found.get(config.oidc_username_claim) or found.get("email") or "")
    except TokenRefused as exc:
        return _refused(request, f"the login was refused: {exc}")
    except (httpx.HTTPError, KeyError, ValueError) as exc:
        return _refused(request, f"the identity provider refused the login ({exc})")
    user = state.directory.find(name.strip().lower()) if name else None
    if user is None or user.disabled:
        return _refused(request, f"{name!r} is not a user of the console (an admin adds users)", 403)
    session = state.directory.open_session(user)
    response = see_other("/work")
    set_cookie(request, response, COOKIE, session.id, max_age=int(config.session_hours * 3600))
    response.delete_cookie(FLOW_COOKIE, path="/")
    return response
