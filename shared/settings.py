"""Settings of every CRM process: environment variables prefixed ``CRM_`` (nested with ``__``).

One class, read once by each composition root and passed down; nothing reads the environment at import time.
"""

from __future__ import annotations

from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.calendar import IRAN, TURKEY, BusinessCalendar, CalendarConfig
from shared.organisation import DEFAULT_ORGANISATION, Organisation


class ComplaintSettings(BaseModel):
    """The complaints service's settings, nested under `complaints` (env CRM_COMPLAINTS__<NAME>, e.g.
    CRM_COMPLAINTS__STAGE_HOURS='{"review": 4}')."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Working hours allowed per stage; a stage not named keeps the procedure's hours (services/complaints/domain.py:
    # acknowledgement 8, review 16, assignment 16, investigation 80, decision 40, notification 16).
    stage_hours: dict[str, float] = {}
    # The complaint committee (docs/procedures.md#complaint-decision-and-committee). Members are user names; the
    # defaults name the roles, so a chamber either creates tokens under these names or names its people here.
    # Fixed members: the member-relations manager, the SG or a representative, the strategic-planning manager.
    committee_fixed_members: tuple[str, ...] = (
        "member_relations_manager",
        "secretary_general",
        "strategic_planning_manager",
    )
    # Who may take the SG's seat: the SG and standing representatives (one more may be named per meeting).
    committee_sg: tuple[str, ...] = ("secretary_general",)
    committee_assistant: str | None = "administrative_assistant"  # keeps the minutes; a member of every meeting
    # A decision needs more than this share of the members present and, when set, the SG or a representative.
    committee_quorum: float = Field(default=0.5, ge=0, lt=1)
    committee_quorum_needs_sg: bool = True
    # Who receives the six-monthly complaint report from the member-relations manager (user names; defaults: roles).
    report_recipients: tuple[str, ...] = ("secretary_general", "president")
    document_max_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    # The public website form
    public_rate_limit: int = Field(default=5, ge=1)  # submissions per client address within the window
    public_rate_window_seconds: float = Field(default=3600, gt=0)
    # Tracking look-ups per client address within the same window: enough for a person, too few to guess secrets.
    public_tracking_rate_limit: int = Field(default=30, ge=1)
    public_max_text: int = Field(default=4000, gt=0)  # characters of the description
    public_max_attachments: int = Field(default=3, ge=0)
    public_max_attachment_bytes: int = Field(default=3 * 1024 * 1024, gt=0)
    # The whole request: 3 files of 3 MiB in base64, and the text
    public_max_body_bytes: int = Field(default=13 * 1024 * 1024, gt=0)
    trust_forwarded_for: bool = False  # true only behind a reverse proxy that sets X-Forwarded-For
    deadline_check_seconds: float = Field(default=60, gt=0)  # how often the running service records breaches


class ActionSettings(BaseModel):
    """The corrective-action loop's delays (SY-PR-05-00-02), nested under `actions` (env CRM_ACTIONS__<NAME>, e.g.
    CRM_ACTIONS__DUE_WORKING_DAYS=15), in working days of the chamber's calendar."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    due_working_days: int = Field(default=10, ge=1)  # from assignment (or reopening) to the due date
    effectiveness_delay_working_days: int = Field(default=20, ge=1)  # from done to the effectiveness check
    deadline_check_seconds: float = Field(default=60, gt=0)  # how often the running service records passed deadlines


DEFAULT_AGENCIES = (
    "customs",
    "taaziraat",  # government penalties
    "industrial_estates",  # the provincial industrial estates company
    "agriculture",
    "tax",
    "foreign_currency",
    "industry_mine_trade",  # the provincial organisation of industry, mine and trade
)


class DeskSettings(BaseModel):
    """Service desks (services/desks), nested under `desks` (env CRM_DESKS__<NAME>, e.g. CRM_DESKS__SLOT_MINUTES=15)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    agencies: tuple[str, ...] = DEFAULT_AGENCIES  # the agencies that hold desks at the chamber
    slot_minutes: int = Field(default=10, ge=1, le=120)  # "about 10 minutes per member"
    follow_up_working_days: int = Field(default=5, ge=1)  # the follow-up call, "within one week" of the desk
    deadline_check_seconds: float = Field(default=60, gt=0)  # how often the running service records missed follow-ups
    # Token (role service) the desks service presents to the actions service to open corrective actions.
    service_token: str | None = None
    # Where the actions service's internal door answers; this machine's actions port if unset.
    actions_url: str | None = None
    # The public registration page: registrations per client address within the window.
    public_rate_limit: int = Field(default=5, ge=1)
    public_rate_window_seconds: float = Field(default=3600, gt=0)
    # The language messages to members are worded in when a member's own is not known (fa, tr or en); unset: the
    # chamber's, Persian with the solar Hijri calendar and Turkish otherwise.
    language: Literal["fa", "tr", "en"] | None = None


class PlanSettings(BaseModel):
    """The strategic plan service's settings, nested under `plan` (env CRM_PLAN__<NAME>)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # The seed's export is 40 KB; a plan a hundred times its size is still a plan, anything past it is another file.
    max_file_bytes: int = Field(default=1024 * 1024, gt=0)
    # Where the risk register's measures open corrective actions (POST /internal/actions); this machine's actions
    # port if unset (in deployment, the actions container, e.g. http://actions:8108).
    actions_url: str | None = None
    # A token of role `service` for that door; empty: the requests wait, undelivered, until one is set.
    service_token: str | None = None
    # What measures each activity (TOML, documented in services/plan/kpi_bindings.toml); unset: that file.
    bindings_file: Path | None = None
    # What signals each risk (TOML, documented in services/plan/risk_signals.toml); unset: that file.
    signals_file: Path | None = None
    # The yearly revision of the plan and the risk register: the day (MM-DD) its task opens and the day it is due.
    revision_opens: str = Field(default="01-01", pattern=r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")
    revision_due: str = Field(default="01-31", pattern=r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")
    # How often the service looks at its risk signals and the revision task, in seconds.
    tick_seconds: float = Field(default=60.0, gt=0, le=86400)


class ConsoleSettings(BaseModel):
    """The staff console (services/console), nested under `console` (env CRM_CONSOLE__<NAME>, e.g.
    CRM_CONSOLE__LOCKOUT_FAILURES=5)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # A session ends this long after login, or after this long without a request, whichever comes first.
    session_hours: float = Field(default=10, gt=0, le=24 * 7)
    idle_minutes: float = Field(default=60, gt=0)
    # Lock-out: this many failed logins of one user name within the window lock it until the window has passed.
    lockout_failures: int = Field(default=5, ge=1)
    lockout_minutes: float = Field(default=15, gt=0)
    min_password_length: int = Field(default=10, ge=8)
    # Session cookies are Secure when the console is reached over https (or behind a trusted proxy saying so);
    # "always" forces it, e.g. behind a proxy that does not say.
    secure_cookies: Literal["auto", "always"] = "auto"
    # Where the console reaches each service's API (service name -> base URL); unset: this machine's port of it.
    service_urls: dict[str, str] = {}
    timeout_seconds: float = Field(default=15, gt=0)
    # OpenID Connect login (authorization-code flow) for chambers that run an identity provider: the issuer's URL,
    # the client registered there and its secret, and the claim that names the console user (who must exist).
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_username_claim: str = "preferred_username"
    # The console's own address as the identity provider redirects back to it (https://crm.example/oidc/callback).
    oidc_redirect_url: str | None = None


class SurveySettings(BaseModel):
    """The surveys service's settings, nested under `surveys` (env CRM_SURVEYS__<NAME>, e.g.
    CRM_SURVEYS__MIN_RESPONSES=50)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Token (role service) the surveys service presents to the complaints service's internal door.
    service_token: str | None = None
    # Contact attempts are spaced by this many working days: 1 is "the next working day", from its opening.
    attempt_gap_working_days: int = Field(default=1, ge=0, le=10)
    # How long an expert's claim on a member of the call list lasts: nobody else is given that member meanwhile.
    claim_minutes: float = Field(default=15, gt=0, le=240)
    # Thresholds, in percent (a question's mean ÷ its scale maximum × 100; yes/no: the share of yes). Project
    # survey: a respondent below `respondent_threshold` opens a complaint naming the member, a question below
    # `question_threshold` one for the survey. Periodic round: a question below `question_threshold` or the overall
    # score below `overall_threshold` opens a complaint to the SG, judged only once `min_responses` have answered.
    respondent_threshold: float = Field(default=70, ge=0, le=100)
    question_threshold: float = Field(default=70, ge=0, le=100)
    overall_threshold: float = Field(default=80, ge=0, le=100)
    min_responses: int = Field(default=30, ge=1)
    # The one-time online links: the secret that signs them (unset: a secret kept in the data folder, made on first
    # use; set it in deployment, where containers share no folder) and the address members open them at (unset:
    # this machine's surveys port).
    link_secret: str | None = Field(default=None, min_length=32)
    public_url: str | None = None
    # How often the running service looks whether a working week has ended and records its summaries.
    summary_check_seconds: float = Field(default=300, gt=0)


class NotificationSettings(BaseModel):
    """Notifications by e-mail and SMS (services/notifications), nested under `notifications` (env
    CRM_NOTIFICATIONS__<NAME>, e.g. CRM_NOTIFICATIONS__SMTP_HOST=mail.chamber.example)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # E-mail over SMTP. The default is the local mail server `crm run` starts (`crm mailserver`), which keeps each
    # message as a file under <data_dir>/mailbox/<address>/ rather than sending it anywhere.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=8025, ge=1, le=65535)
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_tls: Literal["none", "starttls", "ssl"] = "none"
    smtp_timeout_seconds: float = Field(default=20, gt=0)
    mail_from: str = "crm@chamber.example.org"
    # `crm run` starts the local mail server on smtp_port; false when the chamber's own SMTP server is set above.
    local_mail_server: bool = True
    # SMS through the chamber's provider's HTTP gateway; unset: each SMS is kept as a file under <data_dir>/sms/.
    # The URL and body are templates with {to}, {text} and {sender} (URL-encoded in the URL, JSON-escaped in a
    # body whose content type is JSON), e.g. url "https://sms.provider.example/send", body
    # '{"to": "{to}", "message": "{text}", "from": "{sender}"}'.
    sms_gateway_url: str | None = None
    sms_method: Literal["GET", "POST"] = "POST"
    sms_auth_header: str | None = None  # the header's whole value, e.g. "Bearer <key>" or "Basic <base64>"
    sms_auth_header_name: str = "Authorization"
    sms_body_template: str | None = None
    sms_content_type: str = "application/json"
    sms_sender: str = "CHAMBER"
    sms_timeout_seconds: float = Field(default=15, gt=0)
    # Retries with exponential backoff: the first retry after backoff_first_seconds, doubled each time, at most
    # backoff_max_seconds apart; after max_attempts the message is recorded as failed.
    max_attempts: int = Field(default=8, ge=1, le=50)
    backoff_first_seconds: float = Field(default=60, gt=0)
    backoff_max_seconds: float = Field(default=6 * 3600, gt=0)
    dispatch_seconds: float = Field(default=5, gt=0)  # how often the service sends the messages that are due
    # How long a replica's claim on an attempt holds (longer than any send may take): after it, another replica may
    # try the message again (the first one died before recording the outcome).
    claim_seconds: float = Field(default=300, gt=0)
    # Who receives the weekly and monthly reports (user names with a `[[people]]` entry of the organisation file).
    report_recipients: tuple[str, ...] = ("secretary_general", "president")
    # The language of a recipient whose own is not known: the chamber's (fa in Iran, tr in Türkiye) when unset.
    default_language: Literal["fa", "tr", "en"] | None = None
    # The address members reach the public pages at (e.g. https://crm.chamber.example): a desk's announcement
    # links to its registration page under it. Unset: the page's path alone.
    public_base_url: str = ""
    # Token (role service) the notifications service presents to the surveys service's internal door, where it reads
    # a member's one-time survey link when the message is sent; empty: survey links wait, unsent, until one is set.
    service_token: str | None = None
    # Where that door answers; this machine's surveys port if unset (in deployment, e.g. http://surveys:8103).
    surveys_url: str | None = None
    # Where the staff open the reporting service's reports (e.g. https://reports.chamber.example): the call centre's
    # weekly and monthly report links to its figures under it. Unset: the report's path alone.
    reports_base_url: str = ""


class Settings(BaseSettings):
    # An empty variable means "the default": Compose passes every setting through as ${VAR:-}, and a JSON setting
    # (stage hours, the calendar) has no default that Compose could write in place.
    model_config = SettingsConfigDict(
        env_prefix="CRM_", env_nested_delimiter="__", extra="ignore", env_ignore_empty=True
    )

    environment: Literal["development", "production"] = "development"
    data_dir: Path = Path("data")
    host: str = "127.0.0.1"

    # The ports of the services' APIs (CRM_<SERVICE>_PORT); services/registry.py says which field each service uses.
    calls_port: int = 8101
    complaints_port: int = 8102
    surveys_port: int = 8103
    desks_port: int = 8104
    reporting_port: int = 8105
    members_port: int = 8106
    processor_port: int = 8107
    actions_port: int = 8108
    plan_port: int = 8109
    notifications_port: int = 8111
    console_port: int = 8110

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
    # Connections each process keeps open to PostgreSQL per event store and per side database, and how many more it
    # may open under load. A dozen CRM processes share the server's max_connections (100 by default): 2 + 8 keeps
    # the idle total near 50 and lets a busy store grow.
    postgres_pool_size: int = Field(default=2, ge=1)
    postgres_pool_overflow: int = Field(default=8, ge=0)
    # SQLAlchemy URLs of the reporting read models and of the token store.
    readmodel_url: str | None = None
    auth_url: str | None = None

    chamber: Literal["IR", "TR"] = "IR"
    calendar: CalendarConfig | None = None
    organisation_file: Path = DEFAULT_ORGANISATION

    relay_embedded: bool = True  # the relay runs inside its service's process
    # Processes serving the calls API on its port (shared/processes.py): the primary and replicas of its API, for the
    # machine's other cores when the webhook and the staff's queues together want more than one.
    calls_api_processes: int = Field(default=1, ge=1, le=32)
    relay_batch_size: int = Field(default=2000, ge=1)
    relay_poll_interval: float = Field(default=0.5, gt=0)

    callback_deadline_working_hours: float = Field(default=24, gt=0)
    # A call a member-relations expert answered waits at most this long in his or her queue for its outcome.
    mr_followup_deadline_working_hours: float = Field(default=2, gt=0)
    # Token (role service) the calls service presents to the complaints service to open complaints from callbacks.
    calls_service_token: str | None = None
    # Where the calls service reaches the complaints service's internal door; this machine's complaints port if unset
    # (in deployment, the complaints container's address, e.g. http://complaints:8102).
    complaints_url: str | None = None
    # Token (role service) the reporting service presents to the actions service to open the corrective action the
    # SG decides on for an escalation of repeated non-answer.
    reporting_service_token: str | None = None
    # Token (role service) the complaints service presents to the actions service to open the committee's actions.
    complaints_service_token: str | None = None
    # Where the reporting and complaints services reach the actions service's internal door; this machine's actions
    # port if unset (in deployment, the actions container's address, e.g. http://actions:8108).
    actions_url: str | None = None
    # Where the surveys service reaches the calls service's internal door to record each contact attempt as an
    # outgoing call; this machine's calls port if unset (in deployment, e.g. http://calls:8101).
    calls_url: str | None = None
    # "A unit repeatedly fails to answer": more than `threshold` unanswered calls within the rolling window.
    escalation_threshold: int = Field(default=5, ge=1)
    escalation_window_days: int = Field(default=7, ge=1)
    processor_tick_seconds: float = Field(default=5.0, gt=0)
    # `as_of` snapshots (services/reporting/snapshots.py): the newest `kept` stay, and one in `sparse` of the older
    # ones. 1 keeps them all: thinning to one in two saved 31 % of the space at 500,000 events (249 -> 173 MB) but
    # a moment between two older snapshots then replayed up to 50,000 events (3.6 s of CPU instead of 1.5).
    as_of_snapshots_kept: int = Field(default=4, ge=1)
    as_of_snapshots_sparse: int = Field(default=1, ge=1)
    # The reporting store's relay runs in one processor replica only; set false on the others.
    processor_relay: bool = True

    complaints: ComplaintSettings = Field(default_factory=ComplaintSettings)
    actions: ActionSettings = Field(default_factory=ActionSettings)
    desks: DeskSettings = Field(default_factory=DeskSettings)
    plan: PlanSettings = Field(default_factory=PlanSettings)
    surveys: SurveySettings = Field(default_factory=SurveySettings)
    notifications: NotificationSettings = Field(default_factory=NotificationSettings)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)

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

    # The audit trail: the Ed25519 private key (`crm audit keygen`) that signs exports and the running services'
    # digests, and how often each event-sourced service signs a digest of what it published (docs: README, Audit
    # trail). Without a key no digest is made.
    audit_key_file: Path | None = None
    audit_digest_seconds: float = Field(default=3600, gt=0)
    # Where the per-person keys that seal personal data in the event stores live (shared/privacy.py): one SQLite
    # file, keys.db (shared/keystore.py); deleting a key is the erasure. Default: <data folder>/privacy-keys. Every process of a service (its API,
    # relay, `crm rebuild`, `crm audit export`) must see the same folder.
    privacy_keys_dir: Path | None = None

    @property
    def privacy_keys(self) -> Path:
        return self.privacy_keys_dir or self.data_dir / "privacy-keys"

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

    @property
    def complaints_base_url(self) -> str:
        return self.complaints_url or self.local_url(self.complaints_port)

    @property
    def actions_base_url(self) -> str:
        return self.actions_url or self.local_url(self.actions_port)

    @property
    def calls_base_url(self) -> str:
        return self.calls_url or self.local_url(self.calls_port)

    def api_processes(self, service: str) -> int:
        """How many processes serve `service`'s API (CRM_<SERVICE>_API_PROCESSES where the service has it)."""
        return int(getattr(self, f"{service}_api_processes", 1))

    def local_url(self, port: int) -> str:
        """Where a process of this machine answers on `port` (services/registry.py says whose port is which)."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
        return f"http://{host}:{port}"

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
