"""A member's one-time survey link, read from the surveys service's internal door when the message is sent (role
service, `GET /internal/surveys/links/{link_id}`): the link's secret is in no event, neither the surveys' nor the
notifications'. The surveys service down is a failed attempt, retried with backoff like a mail server down; a link
the member has already answered, or whose survey has ended, withdraws the message."""

from __future__ import annotations

import httpx

from services.notifications.channels import NotSent


class LinkGone(Exception):
    """The link is no longer worth sending (answered, expired, unknown): the message is withdrawn."""


class SurveyLinks:
    def __init__(self, client: httpx.Client, token: str | None):
        self.client = client  # its base URL is the surveys service's
        self.token = token

    def url(self, link_id: str) -> str:
        if not self.token:
            raise NotSent("no service token for the surveys service (CRM_NOTIFICATIONS__SERVICE_TOKEN)")
        try:
            response = self.client.get(
                f"/internal/surveys/links/{link_id}", headers={"Authorization": f"Bearer {self.token}"}
            )
        except httpx.HTTPError as exc:
            raise NotSent(f"surveys service unreachable: {exc}") from exc
        if response.status_code == 404:
            raise LinkGone("the surveys service knows no such link")
        if response.status_code != 200:
            raise NotSent(f"surveys service answered {response.status_code}: {response.text[:300]}")
        found = response.json()
        if found.get("state") != "open":
            raise LinkGone(f"the member's survey link is {found.get('state')}")
        return str(found["url"])
