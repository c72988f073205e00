"""How the console reaches the services: their own HTTP APIs, with the bearer token of the logged-in user's session,
so that each command is the same audited command as through the API, by the same person.

The console imports no other service: it knows their names and the settings that hold their ports, and calls them
over HTTP like any client. Tests hand it clients of the real services running in-process instead of URLs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from shared.settings import Settings

# service -> the Settings field holding its port (services/registry.py is the list; the console may not import it)
PORTS = {
    "calls": "calls_port",
    "complaints": "complaints_port",
    "surveys": "surveys_port",
    "desks": "desks_port",
    "reporting": "reporting_port",
    "members": "members_port",
    "actions": "actions_port",
    "plan": "plan_port",
    "notifications": "notifications_port",
}


class ServiceProblem(Exception):
    """A service refused or failed a request: its problem+json, or what the console could say about it."""

    def __init__(self, status: int, title: str, detail: str, service: str):
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.service = service


@dataclass
class Reply:
    status: int
    body: Any
    headers: Mapping[str, str]


class Backends:
    def __init__(self, settings: Settings, clients: Mapping[str, httpx.Client] | None = None):
        self.settings = settings
        self.clients: dict[str, httpx.Client] = dict(clients or {})
        timeout = settings.console.timeout_seconds
        for name, field in PORTS.items():
            if name not in self.clients:
                base = settings.console.service_urls.get(name) or settings.local_url(int(getattr(settings, field)))
                self.clients[name] = httpx.Client(base_url=base, timeout=timeout)
        self.owned = clients is None

    def base_url(self, service: str) -> str:
        return str(self.clients[service].base_url).rstrip("/")

    def call(
        self,
        service: str,
        method: str,
        path: str,
        token: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        language: str = "en",
    ) -> Reply:
        """The service's answer; a 4xx/5xx or an unreachable service raises ServiceProblem with the detail."""
        client = self.clients[service]
        clean = {k: v for k, v in (params or {}).items() if v not in (None, "")}
        try:
            response = client.request(
                method,
                path,
                json=json,
                params=clean,
                headers={"Authorization": f"Bearer {token}", "Accept-Language": language},
            )
        except httpx.HTTPError as exc:
            raise ServiceProblem(
                503, "Service unavailable", f"the {service} service cannot be reached ({exc})", service
            ) from exc
        if response.status_code >= 400:
            title, detail = "Error", response.text[:500]
            try:
                body = response.json()
                if isinstance(body, dict):
                    title = str(body.get("title") or title)
                    detail = str(body.get("detail") or title)
            except ValueError:
                pass
            raise ServiceProblem(response.status_code, title, detail, service)
        content_type = response.headers.get("content-type", "")
        body = response.json() if "json" in content_type else response.text
        return Reply(response.status_code, body, response.headers)

    def fetch(self, service: str, path: str, token: str, params: Mapping[str, str], language: str) -> httpx.Response:
        """A document as the service gives it (CSV, a printable page, JSON), for the person to download or print."""
        try:
            response = self.clients[service].get(
                path, params=params, headers={"Authorization": f"Bearer {token}", "Accept-Language": language}
            )
        except httpx.HTTPError as exc:
            raise ServiceProblem(
                503, "Service unavailable", f"the {service} service cannot be reached ({exc})", service
            ) from exc
        if response.status_code >= 400:
            try:
                detail = str(response.json().get("detail") or response.reason_phrase)
            except (ValueError, AttributeError):
                detail = response.reason_phrase
            raise ServiceProblem(response.status_code, "", detail, service)
        return response

    def get(self, service: str, path: str, token: str, **params: Any) -> Any:
        return self.call(service, "GET", path, token, params=params).body

    def close(self) -> None:
        if self.owned:
            for client in self.clients.values():
                client.close()
