"""The one list of the CRM's services and stream processors.

The CLI (`crm serve`, `relay`, `process`, `topics create`, `rebuild`), the launcher (`crm run`) and the deployment
test read it, so adding a service is one folder, one entry here and its block in docker-compose.yml.

Factories are named as "module:function" and imported only when used: importing the registry loads no service,
and a service's package never imports another's (the registry is the one place that knows them all).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from shared.settings import Settings


def load(target: str | None) -> Callable[..., Any]:
    """The function named "package.module:function"."""
    if target is None:
        raise ValueError("the registry names no such factory for this service")
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)


@dataclass(frozen=True)
class Service:
    """A bounded context under services/<name>/ with an HTTP API."""

    name: str
    port_setting: str  # the Settings field (env CRM_<FIELD>) that holds the API's port
    create_app: str  # (settings) -> FastAPI
    # (settings) -> the service's eventsourcing Application; None when it keeps no event store of its own
    application: str | None = None
    # Whether the service's own process relays its store to Kafka (`crm relay <name>` runs that relay alone).
    # The reporting store is relayed by its processor instead, so that only one replica publishes it.
    relays: bool = False
    # (settings, application) -> a read-side index with rebuild(), fed by a follower of the store
    index: str | None = None
    index_label: str = ""  # how `crm rebuild` names the index
    # The services whose topics it consumes itself (not through a processor): it starts after them in `crm run`.
    consumes: tuple[str, ...] = ()
    # (settings) -> FastAPI: the API alone, for the further processes of the service's API (shared/processes.py)
    create_replica: str | None = None

    @property
    def has_store(self) -> bool:
        return self.application is not None

    @property
    def port_variable(self) -> str:
        return f"CRM_{self.port_setting.upper()}"

    def port(self, settings: Settings) -> int:
        return int(getattr(settings, self.port_setting))

    def url(self, settings: Settings) -> str:
        return settings.local_url(self.port(settings))

    def topic(self, settings: Settings) -> str:
        return settings.topic_of(self.name)


@dataclass(frozen=True)
class Processor:
    """A stream processor: consumes the topics of `sources` and keeps read models, with a health/metrics port."""

    name: str
    port_setting: str
    run: str  # (settings, source_topics) -> exit code; runs until SIGTERM
    sources: tuple[str, ...]  # the services whose topics it consumes
    # (settings, url | None) -> a read model with drop() and apply(envelopes), for `crm rebuild` from the stores
    readmodel: str
    # (read model) -> a bulk loader with apply(envelopes) and close(), fed every event of a rebuild in place of the
    # read model's own apply (None: the rebuild applies them batch by batch through the read model)
    rebuilder: str | None = None

    @property
    def part(self) -> str:
        """Its name as a compose service, a launcher part and a Prometheus job."""
        return f"{self.name}-processor"

    @property
    def port_variable(self) -> str:
        return f"CRM_{self.port_setting.upper()}"

    def port(self, settings: Settings) -> int:
        return int(getattr(settings, self.port_setting))

    def url(self, settings: Settings) -> str:
        return settings.local_url(self.port(settings))

    def topics(self, settings: Settings) -> list[str]:
        return [settings.topic_of(source) for source in self.sources]


# In start order for `crm run`: members before calls and surveys, which follow the members topic.
SERVICES: dict[str, Service] = {
    service.name: service
    for service in (
        Service(
            "members",
            port_setting="members_port",
            create_app="services.members.main:create_app",
            application="services.members.main:build_directory",
            relays=True,
            index="services.members.main:build_index",
            index_label="member search index",
        ),
        Service(
            "calls",
            port_setting="calls_port",
            create_app="services.calls.main:create_app",
            create_replica="services.calls.main:create_replica_app",
            application="services.calls.main:build_centre",
            relays=True,
            index="services.calls.main:build_index",
            index_label="calls search index",
        ),
        Service(
            "complaints",
            port_setting="complaints_port",
            create_app="services.complaints.main:create_app",
            application="services.complaints.main:build_desk",
            relays=True,
            index="services.complaints.main:build_index",
            index_label="complaints index",
        ),
        Service(
            "actions",
            port_setting="actions_port",
            create_app="services.actions.main:create_app",
            application="services.actions.main:build_register",
            relays=True,
            index="services.actions.main:build_index",
            index_label="corrective actions index",
        ),
        Service(
            "desks",
            port_setting="desks_port",
            create_app="services.desks.main:create_app",
            application="services.desks.main:build_office",
            relays=True,
            index="services.desks.main:build_index",
            index_label="desks index (desks, problem forms, sessions)",
        ),
        Service(
            "plan",
            port_setting="plan_port",
            create_app="services.plan.main:create_app",
            application="services.plan.main:build_office",
            relays=True,
            index="services.plan.main:build_index",
            index_label="plan index (risks, manual actuals)",
        ),
        Service(
            "surveys",
            port_setting="surveys_port",
            create_app="services.surveys.main:create_app",
            application="services.surveys.main:build_office",
            relays=True,
            index="services.surveys.main:build_index",
            index_label="surveys index",
        ),
        Service(
            "reporting",
            port_setting="reporting_port",
            create_app="services.reporting.main:create_app",
            application="services.reporting.main:build_oversight",
        ),
        # The staff console: pages over the other services' APIs, and the console's users' accounts (event-sourced);
        # before the notifications, which follow its topic for each person's choice of messages.
        Service(
            "console",
            port_setting="console_port",
            create_app="services.console.main:create_app",
            application="services.console.main:build_book",
            relays=True,
            index="services.console.main:build_index",
            index_label="console users index",
        ),
        Service(
            "notifications",
            port_setting="notifications_port",
            create_app="services.notifications.main:create_app",
            application="services.notifications.main:build_notifier",
            relays=True,
            index="services.notifications.main:build_index",
            index_label="notifications index",
            consumes=("members", "calls", "complaints", "surveys", "desks", "reporting", "console"),
        ),
    )
}

PROCESSORS: dict[str, Processor] = {
    processor.name: processor
    for processor in (
        Processor(
            "reporting",
            port_setting="processor_port",
            run="services.reporting.processor:run_processor",
            sources=("calls", "complaints", "members", "reporting"),
            readmodel="services.reporting.main:build_readmodel",
            rebuilder="services.reporting.bulk:BulkRebuild",
        ),
    )
}


def served() -> list[str]:
    return list(SERVICES)


def relayed() -> list[str]:
    return [s.name for s in SERVICES.values() if s.relays]


def stored() -> list[str]:
    """Services with an event store: each publishes to its own topic."""
    return [s.name for s in SERVICES.values() if s.has_store]


def contracts() -> list[str]:
    """The published-event contract of every service with an event store ("module:CONTRACT", for `make contracts`)."""
    return [f"services.{name}.contract:CONTRACT" for name in stored()]


def topics(settings: Settings) -> list[str]:
    """Every topic the CRM uses: one per event store, the ones processors read, and the dead-letter topic."""
    names = [*stored(), *(source for p in PROCESSORS.values() for source in p.sources)]
    return [settings.topic_of(name) for name in dict.fromkeys(names)] + [settings.deadletter_topic]


if __name__ == "__main__":  # `python -m services.registry contracts`: the list `make contracts` regenerates
    import sys

    if sys.argv[1:] == ["contracts"]:
        print(" ".join(contracts()))
