"""The service registry (services/registry.py): every entry's factories import and build, and the CLI, the
launcher, the topics and `crm rebuild` take their lists from it."""

from __future__ import annotations

import ast
import io
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services import cli, launcher, registry
from services.rebuild import rebuild_all
from services.registry import PROCESSORS, SERVICES, Processor, Service, load
from shared.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
# The ports the documentation and the deployment give each part.
DEFAULT_PORTS = {
    "calls": 8101,
    "complaints": 8102,
    "desks": 8104,
    "reporting": 8105,
    "members": 8106,
    "reporting-processor": 8107,
    "actions": 8108,
    "plan": 8109,
    "surveys": 8103,
    "notifications": 8111,
    "console": 8110,
}


def choices(parser, *path: str) -> list[str]:
    for word in path:
        sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
        parser = sub.choices[word]
    positional = next(a for a in parser._actions if not a.option_strings and a.choices)
    return list(positional.choices)


@pytest.mark.parametrize("name", list(SERVICES))
def test_every_service_builds_its_api_from_tmp_settings(settings, name):
    app = load(SERVICES[name].create_app)(settings)
    assert isinstance(app, FastAPI)
    assert TestClient(app).get("/health").status_code == 200  # without its lifespan: nothing is started


@pytest.mark.parametrize("name", [s.name for s in SERVICES.values() if s.has_store])
def test_every_event_store_and_its_index_build_and_rebuild_from_an_empty_store(settings, name):
    service = SERVICES[name]
    app = load(service.application)(settings)
    try:
        assert app.recorder.max_notification_id() in (None, 0)
        if service.index:
            assert load(service.index)(settings, app).rebuild() == 0
    finally:
        app.close()


@pytest.mark.parametrize("name", list(PROCESSORS))
def test_every_processor_runs_over_registered_event_stores_and_builds_its_read_model(settings, name, tmp_path):
    processor = PROCESSORS[name]
    assert callable(load(processor.run))
    for source in processor.sources:
        assert SERVICES[source].has_store, f"{name} consumes {source}, which publishes no events"
    readmodel = load(processor.readmodel)(settings, f"sqlite:///{tmp_path / 'model.db'}")
    readmodel.drop()
    readmodel.apply([])


def test_each_part_has_its_own_port_setting_with_the_documented_default():
    settings = Settings()
    ports = {s.name: s.port(settings) for s in SERVICES.values()}
    ports |= {p.part: p.port(settings) for p in PROCESSORS.values()}
    assert ports == DEFAULT_PORTS
    assert len(set(ports.values())) == len(ports), "two parts on one port"


def test_port_variables_keep_their_names(monkeypatch):
    assert SERVICES["calls"].port_variable == "CRM_CALLS_PORT"
    assert PROCESSORS["reporting"].port_variable == "CRM_PROCESSOR_PORT"
    monkeypatch.setenv("CRM_CALLS_PORT", "9101")
    monkeypatch.setenv("CRM_PROCESSOR_PORT", "9107")
    settings = Settings(host="0.0.0.0")
    assert SERVICES["calls"].url(settings) == "http://127.0.0.1:9101"
    assert PROCESSORS["reporting"].port(settings) == 9107


def test_cli_choices_come_from_the_registry():
    parser = cli.build_parser()
    assert choices(parser, "serve") == list(SERVICES)
    assert choices(parser, "process") == list(PROCESSORS)
    assert choices(parser, "relay") == [s.name for s in SERVICES.values() if s.relays]
    assert set(choices(parser, "relay")) < set(choices(parser, "serve"))


def test_a_new_registry_entry_is_served_relayed_launched_and_given_a_topic(monkeypatch):
    surveys = Service(
        "surveys",
        port_setting="surveys_port",
        create_app="services.members.main:create_app",
        application="services.members.main:build_directory",
        relays=True,
    )
    monkeypatch.setattr(registry, "SERVICES", {**SERVICES, "surveys": surveys})
    monkeypatch.setattr(launcher, "SERVICES", registry.SERVICES)
    parser = cli.build_parser()
    assert "surveys" in choices(parser, "serve") and "surveys" in choices(parser, "relay")
    settings = Settings(embedded_broker=False)
    assert "crm.surveys.events.v1" in registry.topics(settings)
    part = next(p for p in launcher.parts(settings) if p.name == "surveys")
    assert part.port == 8103 and part.argv[-2:] == ["serve", "surveys"]


def test_topics_are_one_per_event_store_and_the_dead_letter_topic():
    settings = Settings(topic_prefix="chamber")
    assert registry.topics(settings) == [
        "chamber.members.events.v1",
        "chamber.calls.events.v1",
        "chamber.complaints.events.v1",
        "chamber.actions.events.v1",
        "chamber.desks.events.v1",
        "chamber.plan.events.v1",
        "chamber.surveys.events.v1",
        "chamber.reporting.events.v1",
        "chamber.console.events.v1",
        "chamber.notifications.events.v1",
        "chamber.deadletter.v1",
    ]
    assert PROCESSORS["reporting"].topics(settings) == [
        "chamber.calls.events.v1",
        "chamber.complaints.events.v1",
        "chamber.members.events.v1",  # for its erasures only
        "chamber.reporting.events.v1",
    ]


def test_every_topic_a_processor_reads_is_created(monkeypatch):
    stray = replace(PROCESSORS["reporting"], sources=("calls", "desks"))
    monkeypatch.setattr(registry, "PROCESSORS", {"reporting": stray})
    assert "crm.desks.events.v1" in registry.topics(Settings())


def test_launcher_starts_every_registered_part_after_the_broker():
    names = [part.name for part in launcher.parts(Settings())]
    assert names == ["broker", "mail", *SERVICES, *(p.part for p in PROCESSORS.values())]
    assert names.index("members") < names.index("calls"), "calls follow the members topic for their lookup"
    assert "mail" not in [p.name for p in launcher.parts(Settings(notifications={"local_mail_server": False}))]


def test_a_service_that_consumes_topics_starts_after_them_and_reads_what_the_registry_says():
    from services.notifications.consumer import SOURCES

    names = list(SERVICES)
    for service in SERVICES.values():
        for source in service.consumes:
            assert SERVICES[source].has_store, f"{service.name} consumes {source}, which publishes no events"
            assert names.index(source) < names.index(service.name)
    assert SERVICES["notifications"].consumes == SOURCES


def test_rebuild_reports_every_index_and_read_model_of_the_registry(settings):
    out = io.StringIO()
    assert rebuild_all(settings, out=out) == 0
    text = out.getvalue()
    for service in SERVICES.values():
        if service.index:
            assert f"{service.index_label}: rebuilt from 0 events" in text
    assert (
        "reporting read models: rebuilt from 0 calls events, 0 complaints events, 0 members events, 0 reporting events"
        in text
    )


def test_importing_the_registry_imports_no_service():
    code = (
        "import sys, services.registry, services.cli; cli = services.cli.build_parser();"
        "print(sorted(m for m in sys.modules if m.startswith('services.') and m.count('.') > 1))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_registry_entries_are_plain_data():
    assert all(isinstance(s, Service) for s in SERVICES.values())
    assert all(isinstance(p, Processor) for p in PROCESSORS.values())
    assert all(name == entry.name for name, entry in {**SERVICES, **PROCESSORS}.items())


def _imports_within(package: Path) -> dict[str, set[str]]:
    """module -> the modules of the same package it imports (at the top or inside functions)."""
    prefix = f"services.{package.name}"
    graph: dict[str, set[str]] = {}
    for path in package.glob("*.py"):
        module = f"{prefix}.{path.stem}"
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(prefix):
                found.add(node.module)
                found |= {f"{node.module}.{a.name}" for a in node.names}  # `from services.members import normalise`
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names if a.name.startswith(prefix)}
        graph[module] = found
    return {module: {m for m in found if m in graph and m != module} for module, found in graph.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> list[str] | None:
        if module in path:
            return [*path[path.index(module) :], module]
        if module in done:
            return None
        for target in sorted(graph[module]):
            if found := visit(target, [*path, module]):
                return found
        done.add(module)
        return None

    return next((c for m in sorted(graph) if (c := visit(m, []))), None)


@pytest.mark.parametrize("name", list(SERVICES))
def test_no_service_module_imports_itself_back_through_its_composition_root(name):
    cycle = _cycle(_imports_within(ROOT / "services" / name))
    assert cycle is None, " -> ".join(cycle or [])


def test_the_cycle_check_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_shared_code_imports_no_service():
    """Settings and the other shared pieces must not know the services: the registry is where they are listed."""
    for path in (ROOT / "shared").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            names += [a.name for a in node.names] if isinstance(node, ast.Import) else []
            assert not [n for n in names if n.split(".")[0] == "services"], f"shared/{path.name} imports {names}"


def test_the_import_contracts_cover_every_registered_service():
    import tomllib

    config = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
    contracts = {c["name"]: c for c in config["tool"]["importlinter"]["contracts"]}
    independent = next(c for c in contracts.values() if c["type"] == "independence")
    assert set(independent["modules"]) == {f"services.{name}" for name in SERVICES}
    plain = next(c for name, c in contracts.items() if name.startswith("Domain modules"))
    with_domain = {
        name
        for name in SERVICES
        if (Path(__file__).resolve().parents[1] / "services" / name / "domain").exists()
        or (Path(__file__).resolve().parents[1] / "services" / name / "domain.py").exists()
    }
    assert {f"services.{name}.domain" for name in with_domain} <= set(plain["source_modules"])


def test_a_rebuild_side_by_side_in_worker_processes_builds_what_one_at_a_time_builds(settings):
    from services.calls.application import CallCentre
    from services.calls.main import build_index
    from services.reporting.main import build_readmodel
    from shared.eventstore import store_env
    from shared.organisation import Organisation
    from tests.calls.test_application import SATURDAY_1030 as T
    from tests.calls.test_application import ev

    centre = CallCentre(
        store_env(settings, "calls"),
        organisation=Organisation.load(settings.organisation_file),
        calendar=settings.business_calendar,
    )
    try:
        for k in range(5):
            centre.ingest_batch(
                [ev("queued", T, f"par-{k}", queue="602", caller="09131234567"), ev("abandoned", T, f"par-{k}")]
            )

        def built() -> tuple[list, dict]:
            index = build_index(settings, centre)
            return sorted(index.search(limit=100), key=lambda r: r["id"]), build_readmodel(settings).dump()

        one, two = io.StringIO(), io.StringIO()
        assert rebuild_all(settings, out=one, jobs=1) == 0
        sequential = built()
        assert rebuild_all(settings, out=two, jobs=2) == 0
    finally:
        centre.close()
    assert two.getvalue() == one.getvalue()
    assert "calls events" in one.getvalue() and "reporting read models: rebuilt from 20 calls events" in one.getvalue()
    assert built() == sequential
    assert len(sequential[0]) == 5
