"""Settings of every CRM process: environment variables prefixed ``CRM_`` (nested with ``__``).

One class, read once by each composition root and passed down; nothing reads the environment at import time.
"""

from __future__ import annotations

import tomllib
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.calendar import IRAN, TURKEY, BusinessCalendar, CalendarConfig

SERVICES = ("calls", "complaints", "surveys", "desks", "reporting", "members")
DEFAULT_ORGANISATION = Path(__file__).with_name("organisation.default.toml")


class Unit(BaseModel):
    """A department of the chamber, as the telephone system and the procedures know it."""

    id: str
    name: str
    name_local: str = ""
    manager: str = ""
    experts: list[str] = []
    queues: list[str] = []  # PBX queues whose callers are routed to this unit


class Organisation(BaseModel):
    """The chamber's units and the telephone system's view of them (queues, extensions)."""

    member_relations_unit: str = "member_relations"
    member_relations_queues: list[str] = []
    units: list[Unit] = []
    # PBX extension -> staff member (the expert's user name, as on his or her token)
    extensions: dict[str, str] = {}

    @model_validator(mode="after")
    def _check(self) -> Organisation:
        ids = [u.id for u in self.units]
        if len(ids) != len(set(ids)):
            raise ValueError("organisation: unit ids must be unique")
        seen: dict[str, str] = {}
        for unit in self.units:
            for q in unit.queues:
                if q in seen:
                    raise ValueError(f"organisation: queue {q!r} belongs to both {seen[q]!r} and {unit.id!r}")
                seen[q] = unit.id
        return self

    def unit_of_queue(self, queue: str | None) -> str | None:
        if queue is None:
            return None
        if queue in self.member_relations_queues:
            return self.member_relations_unit
        for unit in self.units:
            if queue in unit.queues:
                return unit.id
        return None

    def unit_of_expert(self, expert: str | None) -> str | None:
        for unit in self.units:
            if expert in unit.experts:
                return unit.id
        return None

    def expert_of_extension(self, extension: str | None) -> str | None:
        return self.extensions.get(extension) if extension else None

    def has_unit(self, unit_id: str) -> bool:
        return unit_id == self.member_relations_unit or any(u.id == unit_id for u in self.units)

    @classmethod
    def load(cls, path: Path) -> Organisation:
        with path.open("rb") as fh:
            return cls.model_validate(tomllib.load(fh))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CRM_", env_nested_delimiter="__", extra="ignore")

    environment: Literal["development", "production"] = "development"
    data_dir: Path = Path("data")
    host: str = "127.0.0.1"

    calls_port: int = 8101
    complaints_port: int = 8102
    surveys_port: int = 8103
    desks_port: int = 8104
    reporting_port: int = 8105
    members_port: int = 8106
    processor_port: int = 8107

    # Kafka: the embedded broker (Tansu, memory only) by default; a real cluster in deployment.
    kafka_bootstrap: str = "127.0.0.1:19092"
    embedded_broker: bool = True
    broker_port: int = 19092
    kafka_partitions: int = Field(default=3, ge=1)
    topic_prefix: str = Field(default="crm", pattern=r"^[a-z][a-z0-9_-]*$")  # topics <prefix>.<service>.events.v1

    # Event stores: one SQLite file per service under data_dir, or one PostgreSQL schema per service.
    store: Literal["sqlite", "postgres"] = "sqlite"
    postgres_host: str = "127.0.0.1"
    postgres_port: int = 5432
    postgres_user: str = "postgres"
    postgres_password: str = ""
    postgres_dbname: str = "crm"
    postgres_schema_prefix: str = Field(default="", pattern=r"^[a-z0-9_]*$")  # schema of a service: <prefix><service>
    # SQLAlchemy URLs of the reporting read models and of the token store.
    readmodel_url: str | None = None
    auth_url: str | None = None

    chamber: Literal["IR", "TR"] = "IR"
    calendar: CalendarConfig | None = None
    organisation_file: Path = DEFAULT_ORGANISATION

    relay_embedded: bool = True  # the relay runs inside its service's process
    relay_batch_size: int = Field(default=2000, ge=1)
    relay_poll_interval: float = Field(default=0.5, gt=0)

    callback_deadline_working_hours: float = Field(default=24, gt=0)
    # "A unit repeatedly fails to answer": more than `threshold` unanswered calls within the rolling window.
    escalation_threshold: int = Field(default=5, ge=1)
    escalation_window_days: int = Field(default=7, ge=1)
    processor_tick_seconds: float = Field(default=5.0, gt=0)
    # The reporting store's relay runs in one processor replica only; set false on the others.
    processor_relay: bool = True

    # Complaints (ISO 10002): working hours allowed for each stage, the committee's fixed members, public form limits.
    complaint_stage_hours: dict[str, float] = {
        "acknowledgement": 8,
        "review": 16,
        "assignment": 16,
        "investigation": 80,
        "decision": 40,
        "notification": 16,
    }
    complaint_committee_fixed_members: list[str] = ["m.karimi", "sg", "strategic_planning_manager"]
    complaint_document_max_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    complaint_public_rate_limit: int = Field(default=5, ge=1)
    complaint_public_rate_window_seconds: float = Field(default=3600, gt=0)
    complaint_public_max_text: int = Field(default=4000, gt=0)
    complaint_public_max_attachments: int = Field(default=3, ge=0)
    complaint_public_max_attachment_bytes: int = Field(default=3 * 1024 * 1024, gt=0)
    complaint_public_max_body_bytes: int = Field(default=13 * 1024 * 1024, gt=0)
    complaint_trust_forwarded_for: bool = False  # true only behind a reverse proxy that sets X-Forwarded-For
    complaint_deadline_check_seconds: float = Field(default=60, gt=0)

    # Request bodies: refused with 413 past this size, before anything is parsed. Uploads have their own limit per
    # route template (shared/service.py UPLOAD_LIMITS); entries here are added to those or replace them.
    http_max_body_bytes: int = Field(default=1024 * 1024, gt=0)
    http_body_limits: dict[str, int] = {}
    # Dates accepted from any input: from this day to this many years after now.
    date_earliest: date = date(2000, 1, 1)
    date_years_ahead: int = Field(default=2, ge=1, le=100)
    # Addresses of the reverse proxies whose X-Forwarded-For/-Proto are believed (comma-separated IPs or
    # networks, "*" for any); empty: proxy headers are ignored and the peer address is the client.
    trusted_proxies: str = ""

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.environment == "production":
            if self.embedded_broker:
                raise ValueError("production needs a real Kafka cluster: set CRM_EMBEDDED_BROKER=false")
            if self.store != "postgres":
                raise ValueError("production keeps its event stores in PostgreSQL: set CRM_STORE=postgres")
            if not self.postgres_password:
                raise ValueError("production needs CRM_POSTGRES_PASSWORD")
        return self

    def port_of(self, service: str) -> int:
        return int(getattr(self, f"{service}_port"))

    def url_of(self, service: str) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
        return f"http://{host}:{self.port_of(service)}"

    @property
    def readmodel_db_url(self) -> str:
        return self.readmodel_url or f"sqlite:///{(self.data_dir / 'reporting.db').resolve()}"

    @property
    def auth_db_url(self) -> str:
        return self.auth_url or f"sqlite:///{(self.data_dir / 'auth.db').resolve()}"

    def local_db_url(self, name: str) -> str:
        """A service's own small side database (lookups, search indexes): SQLite file or a PostgreSQL schema."""
        if self.store == "postgres":
            return (
                f"postgresql+psycopg://{self.postgres_user}:{self.postgres_password}@{self.postgres_host}:"
                f"{self.postgres_port}/{self.postgres_dbname}?options=-csearch_path%3D{self.postgres_schema_prefix}{name}"
            )
        return f"sqlite:///{(self.data_dir / f'{name}.db').resolve()}"

    @cached_property
    def business_calendar(self) -> BusinessCalendar:
        config = self.calendar or (IRAN if self.chamber == "IR" else TURKEY)
        return BusinessCalendar(config)

    @cached_property
    def organisation(self) -> Organisation:
        return Organisation.load(self.organisation_file)

    def topic_of(self, service: str) -> str:
        return f"{self.topic_prefix}.{service}.events.v1"

    @property
    def deadletter_topic(self) -> str:
        return f"{self.topic_prefix}.deadletter.v1"
