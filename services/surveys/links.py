"""The one-time online links: one per member per survey, opened without a login.

A link is `<id>.<signature>`: the id names the member's contact in the survey, the signature (HMAC-SHA256 with the
service's secret) makes it unguessable, so nothing secret is stored and issuing the links again gives the same
ones. The table maps an id back to its survey and member; a link works while the survey runs (a periodic round's
until its last day) and is answered once, which the member's contact records.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from pathlib import Path

import sqlalchemy as sa

from services.surveys.domain import contact_id

metadata = sa.MetaData()
links = sa.Table(
    "survey_links",
    metadata,
    sa.Column("link_id", sa.String(32), primary_key=True),
    sa.Column("survey_id", sa.String(36), nullable=False, index=True),
    sa.Column("membership_number", sa.String(50), nullable=False),
)


def secret_from(configured: str | None, data_dir: Path) -> bytes:
    """The configured secret, or one made once and kept in the data folder (readable by its owner only)."""
    if configured:
        return configured.encode()
    path = data_dir / "surveys-link.secret"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip().encode()


class LinkKeeper:
    def __init__(self, engine: sa.Engine, secret: bytes):
        self.engine = engine
        self.secret = secret
        metadata.create_all(engine)

    def _sign(self, link_id: str) -> str:
        mac = hmac.new(self.secret, link_id.encode(), hashlib.sha256).digest()[:20]
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def issue(self, survey_id: str, numbers: list[str]) -> dict[str, str]:
        """The link token of each member, recorded so that it can be resolved; issuing again changes nothing."""
        tokens = {}
        rows = []
        for number in numbers:
            link_id = contact_id(survey_id, number).hex
            tokens[number] = f"{link_id}.{self._sign(link_id)}"
            rows.append({"link_id": link_id, "survey_id": survey_id, "membership_number": number})
        with self.engine.begin() as conn:
            known = set()
            for i in range(0, len(rows), 900):
                chunk = [r["link_id"] for r in rows[i : i + 900]]
                known |= set(conn.execute(sa.select(links.c.link_id).where(links.c.link_id.in_(chunk))).scalars())
            new = [r for r in rows if r["link_id"] not in known]
            for i in range(0, len(new), 5000):
                conn.execute(links.insert(), new[i : i + 5000])
        return tokens

    def lookup(self, link_id: str) -> tuple[str, str, str] | None:
        """(survey id, membership number, token) of an issued link, for the internal door; None when unknown."""
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(links.c.survey_id, links.c.membership_number).where(links.c.link_id == link_id)
            ).first()
        return (row.survey_id, row.membership_number, f"{link_id}.{self._sign(link_id)}") if row else None

    def resolve(self, token: str) -> tuple[str, str] | None:
        """(survey id, membership number) of a genuine link; None for anything else, told apart in no way."""
        link_id, _, signature = token.partition(".")
        if len(link_id) != 32 or not hmac.compare_digest(signature.encode(), self._sign(link_id).encode()):
            return None
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(links.c.survey_id, links.c.membership_number).where(links.c.link_id == link_id)
            ).first()
        return (row.survey_id, row.membership_number) if row else None
