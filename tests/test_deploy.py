"""The multi-machine deployment: docker-compose.yml, the image, Prometheus, Grafana and PostgreSQL files.

No Docker engine runs here, so the files are checked against what they must agree with: the Compose
specification (vendored JSON schema), the service registry (services/registry.py) and the CLI's real
subcommands, the services' folders, each other (ports, scrape targets, mounts, data source uids) and the list of
metrics the CRM exports.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import importlib
import itertools
import json
import re
import shlex
from pathlib import Path

import jsonschema
import pytest
import yaml

from services.registry import PROCESSORS, SERVICES
from shared.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DEPLOY = ROOT / "deploy"
SCHEMA_FILE = DEPLOY / "compose-spec.schema.json"
ENV_EXAMPLE = DEPLOY / ".env.example"
PROMETHEUS_DIR = DEPLOY / "prometheus"
GRAFANA_DIR = DEPLOY / "grafana"
DASHBOARDS_DIR = GRAFANA_DIR / "dashboards"
DATASOURCES_FILE = GRAFANA_DIR / "provisioning" / "datasources" / "datasources.yml"
DASHBOARD_PROVIDERS_FILE = GRAFANA_DIR / "provisioning" / "dashboards" / "dashboards.yml"

# The metrics the CRM exports, with their labels (Prometheus adds job and instance to every series).
METRICS: dict[str, set[str]] = {
    "crm_calls_offered_total": {"unit"},
    "crm_calls_answered_total": {"unit"},
    "crm_calls_unanswered_total": {"unit"},
    "crm_unanswered_open": {"unit"},
    "crm_callback_delay_working_seconds_bucket": {"unit", "le"},
    "crm_callback_delay_working_seconds_sum": {"unit"},
    "crm_callback_delay_working_seconds_count": {"unit"},
    "crm_callback_breaches_total": {"unit"},
    "crm_escalations_total": {"unit"},
    "crm_relay_lag_events": {"service"},
    "crm_relay_lag_seconds": {"service"},
    "crm_relay_published_total": {"service"},
    "crm_processor_lag_events": {"topic"},
    "crm_processor_events_total": {"topic", "outcome"},
    "crm_http_requests_total": {"service", "method", "route", "status"},
    "crm_http_request_duration_seconds_bucket": {"service", "route", "le"},
}
COMPLAINT_METRICS: dict[str, set[str]] = {
    "crm_complaints_received_total": {"kind", "channel"},
    "crm_complaints_closed_total": {"kind", "channel"},
    "crm_complaints_breached_total": {"kind", "channel"},
    "crm_complaints_open": {"stage"},
}
ACTION_METRICS: dict[str, set[str]] = {
    "crm_actions_open": {"state"},
    "crm_actions_overdue": {"unit"},
    "crm_actions_effectiveness_failed_total": set(),
}
# The notifications service's (tests/notifications/test_api.py checks that /metrics exports them).
NOTIFICATION_METRICS: dict[str, set[str]] = {
    "crm_notifications_sent_total": {"channel", "kind"},
    "crm_notifications_retried_total": {"channel", "kind"},
    "crm_notifications_failed_total": {"channel", "kind"},
    "crm_notifications_skipped_total": {"type"},
    "crm_notifications_queued": set(),
    "crm_notifications_messages": {"state"},
}
PLAN_METRICS: dict[str, set[str]] = {
    "crm_plan_activities": {"status"},
    "crm_plan_activity_actual": {"activity", "target"},
    "crm_plan_activity_year_target": {"activity", "target"},
    "crm_plan_activity_planned_to_date": {"activity", "target"},
    "crm_plan_activity_projection": {"activity", "target"},
    "crm_plan_activity_misses": {"activity", "target"},
    "crm_plan_misses": {"target"},
    "crm_plan_cost_planned": {"target"},
    "crm_plan_cost_spent": {"target"},
    "crm_plan_risks": {"band"},
    "crm_plan_risk_reviews_due": {"band"},
    "crm_plan_risk_signal": {"signal", "of"},
    "crm_plan_revision_overdue": set(),
}
SURVEY_METRICS: dict[str, set[str]] = {
    "crm_survey_responses": {"survey", "kind"},
    "crm_survey_response_rate_percent": {"survey", "kind"},
    "crm_survey_satisfaction_percent": {"survey", "question"},
    "crm_survey_contact_attempts": {"survey"},
    "crm_survey_complaints_opened": {"survey", "reason"},
    "crm_survey_round_satisfaction_percent": {"period", "question"},
}
# Series Prometheus records itself for every scrape target.
PROMETHEUS_SERIES: dict[str, set[str]] = {"up": set()}
TARGET_LABELS = {"job", "instance"}
KNOWN_SERIES = {
    **METRICS,
    **COMPLAINT_METRICS,
    **ACTION_METRICS,
    **NOTIFICATION_METRICS,
    **PLAN_METRICS,
    **SURVEY_METRICS,
    **PROMETHEUS_SERIES,
}

# What each long-running container runs, by its compose service name (also its Prometheus job), from the registry.
REGISTERED: dict[str, list[str]] = {
    **{s.name: ["crm", "serve", s.name] for s in SERVICES.values()},
    **{p.part: ["crm", "process", p.name] for p in PROCESSORS.values()},
}
PORT_VARIABLE: dict[str, str] = {
    **{s.name: s.port_variable for s in SERVICES.values()},
    **{p.part: p.port_variable for p in PROCESSORS.values()},
}
# Settings deploy/README.md tells operators to choose: each reaches every CRM container from .env.
OPERATOR_SETTINGS = (
    "CRM_CALENDAR",
    "CRM_ESCALATION_THRESHOLD",
    "CRM_ESCALATION_WINDOW_DAYS",
    "CRM_PROCESSOR_RELAY",
    "CRM_COMPLAINTS__TRUST_FORWARDED_FOR",
    "CRM_COMPLAINTS__COMMITTEE_FIXED_MEMBERS",
    "CRM_COMPLAINTS__STAGE_HOURS",
)


# ------------------------------------------------------------------------------------- interpolation

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_TOKEN = re.compile(rf"\$(?:(?P<escaped>\$)|\{{(?P<braced>[^}}]*)\}}|(?P<named>{_NAME}))")
_BRACED = re.compile(rf"(?P<name>{_NAME})(?:(?P<op>:-|-|:\?|\?|:\+|\+)(?P<arg>.*))?", re.S)


class InterpolationError(ValueError):
    pass


def interpolate_string(text: str, env: dict[str, str]) -> str:
    """Compose's variable substitution: $VAR, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?err},
    ${VAR?err}, ${VAR:+alt}, ${VAR+alt}, and $$ for a literal dollar sign."""

    def replace(match: re.Match) -> str:
        if match.group("escaped"):
            return "$"
        if match.group("named"):
            return env.get(match.group("named"), "")
        braced = _BRACED.fullmatch(match.group("braced"))
        if braced is None or "${" in (braced.group("arg") or ""):
            raise InterpolationError(f"invalid or nested interpolation: {match.group(0)!r}")
        name, op, arg = braced.group("name", "op", "arg")
        value = env.get(name)
        if op is None:
            return value or ""
        if op == ":-":
            return value if value else arg
        if op == "-":
            return value if value is not None else arg
        if op == ":?" and not value or op == "?" and value is None:
            raise InterpolationError(f"required variable {name} is missing: {arg}")
        if op == ":+":
            return arg if value else ""
        if op == "+":
            return arg if value is not None else ""
        return value or ""

    return _TOKEN.sub(replace, text)


def interpolate(node, env: dict[str, str]):
    if isinstance(node, str):
        return interpolate_string(node, env)
    if isinstance(node, list):
        return [interpolate(item, env) for item in node]
    if isinstance(node, dict):
        return {key: interpolate(value, env) for key, value in node.items()}
    return node


def variables_used(text: str) -> dict[str, bool]:
    """Variable name -> whether every use of it in the text has a default."""
    found: dict[str, bool] = {}
    for match in _TOKEN.finditer(text):
        if match.group("escaped"):
            continue
        if match.group("named"):
            found[match.group("named")] = False
            continue
        braced = _BRACED.fullmatch(match.group("braced"))
        assert braced, match.group(0)
        has_default = braced.group("op") in (":-", "-")
        found[braced.group("name")] = found.get(braced.group("name"), True) and has_default
    return found


def test_interpolation_helper_follows_compose_rules():
    env = {"SET": "x", "EMPTY": ""}
    assert interpolate_string("${SET:-d} ${EMPTY:-d} ${UNSET:-d}", env) == "x d d"
    assert interpolate_string("${SET-d} ${EMPTY-d} ${UNSET-d}", env) == "x  d"
    assert interpolate_string("${SET:+alt}|${EMPTY:+alt}|$SET|$$SET", env) == "alt||x|$SET"
    with pytest.raises(InterpolationError):
        interpolate_string("${UNSET:?needed}", env)


# ------------------------------------------------------------------------------------------- loading


def env_example() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def raw_compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def load_compose(env: dict[str, str] | None = None) -> dict:
    return interpolate(raw_compose(), env or {})


@pytest.fixture(scope="module")
def compose() -> dict:
    return load_compose()


@pytest.fixture(scope="module")
def schema() -> dict:
    return json.loads(SCHEMA_FILE.read_text())


def validator_for(schema: dict):
    cls = jsonschema.validators.validator_for(schema, default=None)
    if cls is None:  # the compose schema names its draft with an https URI jsonschema does not index
        drafts = {
            "draft-04": jsonschema.Draft4Validator,
            "draft-06": jsonschema.Draft6Validator,
            "draft-07": jsonschema.Draft7Validator,
            "draft/2019-09": jsonschema.Draft201909Validator,
            "draft/2020-12": jsonschema.Draft202012Validator,
        }
        cls = next(v for key, v in drafts.items() if key in schema.get("$schema", ""))
    cls.check_schema(schema)
    return cls(schema)


def crm_commands(service: dict) -> list[list[str]]:
    """The `crm ...` command lines a service runs: its command, or those inside its `sh -c` script."""
    command = service.get("command")
    if not isinstance(command, list) or not command:
        return []
    if command[0] == "crm":
        return [command]
    if command[:2] == ["sh", "-c"]:
        found = []
        for part in re.split(r"&&|\|\||;|\|", command[2]):
            words = shlex.split(part)
            words = words[: next((i for i, w in enumerate(words) if w.startswith((">", "<", "2>"))), len(words))]
            if words[:1] == ["crm"]:
                found.append(words)
        return found
    return []


def crm_services(compose: dict) -> dict[str, dict]:
    return {name: svc for name, svc in compose["services"].items() if crm_commands(svc)}


def long_running(compose: dict) -> dict[str, dict]:
    """The CRM services that serve HTTP: every `crm serve X` and `crm process X`."""
    return {
        name: svc
        for name, svc in compose["services"].items()
        if svc.get("command", [None])[0] == "crm" and svc["command"][1] in ("serve", "process")
    }


def health_port(service: dict) -> int:
    test = " ".join(map(str, service["healthcheck"]["test"]))
    match = re.search(r"http://(?:127\.0\.0\.1|localhost):(\d+)/health\b", test)
    assert match, f"health check does not GET /health: {test}"
    return int(match.group(1))


def named_volumes(service: dict) -> dict[str, str]:
    """container path -> named volume."""
    mounts = {}
    for volume in service.get("volumes", []):
        if isinstance(volume, str) and not volume.startswith((".", "/", "~")):
            name, target = volume.split(":")[:2]
            mounts[target] = name
    return mounts


def bind_mounts(service: dict) -> list[tuple[str, str]]:
    mounts = []
    for volume in service.get("volumes", []):
        if isinstance(volume, dict):
            if volume.get("type") == "bind":
                mounts.append((volume["source"], volume["target"]))
            continue
        source, target = volume.split(":")[:2]
        if source.startswith((".", "/")):
            mounts.append((source, target))
    return mounts


def host_path(service: dict, container_path: str) -> Path:
    """The file in the repository that a bind mount of the service shows at container_path."""
    for source, target in sorted(bind_mounts(service), key=lambda m: -len(m[1])):
        if container_path == target or container_path.startswith(target.rstrip("/") + "/"):
            return (ROOT / source / container_path[len(target) :].lstrip("/")).resolve()
    raise AssertionError(f"nothing is mounted at {container_path}")


# ---------------------------------------------------------------------------------------- compose file


def test_vendored_schema_is_the_compose_specification(schema):
    assert schema["title"] == "Compose Specification"
    assert {"services", "volumes", "include", "models"} <= set(schema["properties"])
    validator_for(schema)  # the schema itself is a valid JSON schema of its draft


def test_schema_origin_and_checksum_are_recorded():
    readme = (DEPLOY / "README.md").read_text()
    assert "dclint" in readme and "3.1.0" in readme and "Apache-2.0" in readme
    digest = hashlib.sha256(SCHEMA_FILE.read_bytes()).hexdigest()
    assert digest in readme, "deploy/README.md must record the sha256 of the vendored schema"


@pytest.mark.parametrize("env_name", ["defaults", "env-example"])
def test_compose_file_is_valid_against_the_compose_specification(schema, env_name):
    document = load_compose(env_example() if env_name == "env-example" else {})
    errors = sorted(validator_for(schema).iter_errors(document), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors)


def test_schema_validation_rejects_a_broken_compose_file(schema, compose):
    validator = validator_for(schema)
    typo = copy.deepcopy(compose)
    typo["services"]["calls"]["helthcheck"] = typo["services"]["calls"].pop("healthcheck")
    assert list(validator.iter_errors(typo))
    bad_condition = copy.deepcopy(compose)
    bad_condition["services"]["calls"]["depends_on"]["topics"]["condition"] = "service_done"
    assert list(validator.iter_errors(bad_condition))


def test_every_variable_has_a_default_and_is_documented_in_env_example():
    used = variables_used(COMPOSE_FILE.read_text())
    documented = set(env_example())
    assert used, "docker-compose.yml takes its secrets and addresses from variables"
    assert not [name for name, has_default in used.items() if not has_default], "every ${VAR} needs a :-default"
    assert set(used) - documented == set(), "variables missing from deploy/.env.example"
    assert documented - set(used) == set(), "deploy/.env.example lists variables docker-compose.yml never uses"


def test_crm_services_share_the_x_crm_env_extension_field(compose):
    shared = compose["x-crm-env"]
    assert shared["CRM_HOST"] == "0.0.0.0"
    assert shared["CRM_EMBEDDED_BROKER"] == "false"
    assert shared["CRM_STORE"] == "postgres"
    assert shared["CRM_KAFKA_BOOTSTRAP"] == "kafka:9092"
    assert shared["CRM_DATA_DIR"] == "/var/lib/crm"
    assert shared["CRM_AUTH_URL"].startswith("postgresql+psycopg://") and shared["CRM_AUTH_URL"].endswith("/crm")
    assert shared["CRM_READMODEL_URL"].startswith("postgresql+psycopg://")
    assert shared["CRM_READMODEL_URL"].endswith("/crm_reporting")
    for name in (
        "CRM_POSTGRES_HOST",
        "CRM_POSTGRES_PORT",
        "CRM_POSTGRES_USER",
        "CRM_POSTGRES_PASSWORD",
        "CRM_POSTGRES_DBNAME",
        "CRM_CHAMBER",
        "CRM_KAFKA_PARTITIONS",
    ):
        assert shared.get(name), name
    assert "&crm-env" in COMPOSE_FILE.read_text(), "the shared environment is a YAML anchor"
    services = crm_services(compose)
    assert {"topics", "calls", "reporting", "reporting-processor", "members"} <= set(services)
    for name, svc in services.items():
        assert svc["environment"] == shared, f"{name} must use the x-crm-env environment"


def test_crm_containers_are_built_from_the_one_image(compose):
    images = set()
    for name, svc in crm_services(compose).items():
        assert svc["build"]["dockerfile"] == "deploy/Dockerfile", name
        assert (ROOT / svc["build"]["context"] / svc["build"]["dockerfile"]).is_file()
        images.add(svc["image"])
    assert len(images) == 1


def test_topics_are_created_once_before_every_crm_process_starts(compose):
    topics = compose["services"]["topics"]
    assert topics["command"] == ["crm", "topics", "create"]
    assert topics["restart"] == "no"
    assert topics["depends_on"]["kafka"]["condition"] == "service_healthy"
    for name, svc in long_running(compose).items():
        assert svc["depends_on"]["topics"]["condition"] == "service_completed_successfully", name
        assert svc["depends_on"]["postgres"]["condition"] == "service_healthy", name


def test_compose_runs_every_registered_service_and_processor_and_nothing_else(compose):
    running = {name: svc["command"] for name, svc in long_running(compose).items()}
    assert running == REGISTERED


def test_http_services_check_health_on_the_port_they_are_configured_for(compose):
    defaults = Settings()
    ports = {s.name: s.port(defaults) for s in SERVICES.values()} | {
        p.part: p.port(defaults) for p in PROCESSORS.values()
    }
    for name, svc in long_running(compose).items():
        setting = PORT_VARIABLE[name]
        assert int(svc["environment"][setting]) == health_port(svc) == ports[name], name
        for published in svc.get("ports", []):
            assert str(published).endswith(f":{health_port(svc)}"), f"{name} publishes {published}"


def test_operator_settings_are_passed_through_from_env_with_the_crms_defaults(compose):
    shared = raw_compose()["x-crm-env"]
    for name in OPERATOR_SETTINGS:
        assert shared.get(name, "").startswith(f"${{{name}:-"), f"{name} is not taken from .env"
    assert set(OPERATOR_SETTINGS) <= set(env_example())
    # Unset, the deployment's values give the CRM's own defaults (an empty value means "the default").
    defaults = Settings()
    deployed = Settings(**{k[4:].lower(): v for k, v in compose["x-crm-env"].items() if k in OPERATOR_SETTINGS and v})
    assert deployed.escalation_threshold == defaults.escalation_threshold
    assert deployed.escalation_window_days == defaults.escalation_window_days
    assert deployed.processor_relay == defaults.processor_relay
    assert deployed.calendar == defaults.calendar
    assert deployed.complaints == defaults.complaints


def test_operator_settings_from_env_reach_the_settings_of_a_crm_container(monkeypatch):
    chosen = {
        "CRM_CALENDAR": '{"country": "TR", "timezone": "Europe/Istanbul", "hours": {"monday": ["08:30-17:30"]}}',
        "CRM_ESCALATION_THRESHOLD": "3",
        "CRM_ESCALATION_WINDOW_DAYS": "14",
        "CRM_PROCESSOR_RELAY": "false",
        "CRM_COMPLAINTS__TRUST_FORWARDED_FOR": "true",
        "CRM_COMPLAINTS__COMMITTEE_FIXED_MEMBERS": '["m.karimi", "sg", "p.planner"]',
        "CRM_COMPLAINTS__STAGE_HOURS": '{"review": 4}',
    }
    environment = load_compose(chosen)["services"]["complaints"]["environment"]
    for name in [n for n in __import__("os").environ if n.startswith("CRM_")]:
        monkeypatch.delenv(name)
    for name, value in environment.items():
        monkeypatch.setenv(name, str(value))
    settings = Settings()
    assert settings.calendar is not None and settings.calendar.timezone == "Europe/Istanbul"
    assert (settings.escalation_threshold, settings.escalation_window_days) == (3, 14)
    assert settings.processor_relay is False
    assert settings.complaints.trust_forwarded_for is True
    assert settings.complaints.committee_fixed_members == ("m.karimi", "sg", "p.planner")
    assert settings.complaints.stage_hours == {"review": 4}


def test_every_crm_container_mounts_the_configuration_even_with_volumes_of_its_own(compose):
    """A service's own `volumes:` replaces the list of x-crm-service, so the configuration is listed again."""
    for name, svc in crm_services(compose).items():
        assert any(target == "/etc/crm" for _source, target in bind_mounts(svc)), f"{name} does not mount /etc/crm"
    complaints = compose["services"]["complaints"]
    data_dir = compose["x-crm-env"]["CRM_DATA_DIR"]
    assert named_volumes(complaints)[f"{data_dir}/documents"] == "complaint-documents"


def test_depends_on_targets_exist_and_their_conditions_can_be_met(compose):
    services = compose["services"]
    graph = {}
    for name, svc in services.items():
        deps = svc.get("depends_on", {})
        deps = {d: {"condition": "service_started"} for d in deps} if isinstance(deps, list) else deps
        graph[name] = set(deps)
        for target, spec in deps.items():
            assert target in services, f"{name} depends on unknown service {target}"
            if spec["condition"] == "service_healthy":
                assert "healthcheck" in services[target], f"{name} waits for {target} to be healthy"
            if spec["condition"] == "service_completed_successfully":
                assert services[target].get("restart", "no") == "no", f"{target} must run once and exit"

    visiting, done = set(), set()

    def visit(node):
        assert node not in visiting, f"dependency cycle through {node}"
        if node in done:
            return
        visiting.add(node)
        for dep in graph[node]:
            visit(dep)
        visiting.discard(node)
        done.add(node)

    for node in graph:
        visit(node)


def test_infrastructure_is_kafka_kraft_and_postgresql_16(compose):
    services = compose["services"]
    kafka = services["kafka"]
    assert re.fullmatch(r"apache/kafka:3\.9\.\d+|bitnami/kafka:3\.9[\w.-]*", kafka["image"])
    env = kafka["environment"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert "PLAINTEXT://kafka:9092" in env["KAFKA_ADVERTISED_LISTENERS"]
    assert len(env["CLUSTER_ID"]) == 22
    assert "healthcheck" in kafka
    postgres = services["postgres"]
    assert postgres["image"].startswith("postgres:16")
    assert any(v.startswith("postgres-data:") for v in postgres["volumes"])
    init = host_path(postgres, "/docker-entrypoint-initdb.d/10-crm.sql")
    assert init == (DEPLOY / "postgres" / "init.sql").resolve()
    sql = init.read_text()
    for database in ("crm", "crm_reporting"):
        assert re.search(rf"CREATE DATABASE %I OWNER %I[^\n]*'{database}'", sql), database
    assert "CREATE ROLE" in sql


def test_bind_mounted_deploy_files_exist(compose):
    for name, svc in compose["services"].items():
        for source, _target in bind_mounts(svc):
            if source.startswith("./deploy"):
                assert (ROOT / source).exists(), f"{name} mounts missing {source}"


def test_dockerfile_installs_the_lock_then_the_package_and_runs_unprivileged():
    text = (DEPLOY / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim", text, re.M)
    lock = text.index("pip install -r requirements.lock")
    package = text.index("pip install --no-deps")
    assert lock < package
    users = re.findall(r"^USER\s+(\S+)", text, re.M)
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert re.search(r'^CMD \["crm", "--help"\]', text, re.M)


# --------------------------------------------------------------------------------- CLI and services


def subcommand_paths(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """Every command line prefix the parser knows: subcommands and the choices of positional arguments."""
    paths = set()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                paths.add((*prefix, name))
                paths |= subcommand_paths(sub, (*prefix, name))
        elif action.choices and not action.option_strings:
            paths |= {(*prefix, str(choice)) for choice in action.choices}
    return paths


def accepts(parser: argparse.ArgumentParser, words: list[str]) -> bool:
    """Whether the words name subcommands (or choices of positional arguments) the parser has."""
    for word in words:
        sub = next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)
        if sub is not None and word in sub.choices:
            parser = sub.choices[word]
            continue
        positional = [a for a in parser._actions if not a.option_strings and a.choices and word in a.choices]
        if not positional:
            return False
    return True


def test_compose_commands_are_subcommands_the_cli_really_has(compose):
    cli = importlib.import_module("services.cli")  # fails, not skips, while the CLI is missing
    parser = cli.build_parser()
    known = sorted(" ".join(p) for p in subcommand_paths(parser))
    commands = [c for svc in crm_services(compose).values() for c in crm_commands(svc)]
    commands.append(["crm", "token", "create"])  # deploy/README.md has operators run it for the first tokens
    for command in commands:
        words = list(itertools.takewhile(lambda w: not w.startswith("-"), command[1:]))
        assert accepts(parser, words), f"`{' '.join(command)}` is not a CLI command; it has: {known}"
        if command != ["crm", "token", "create"]:
            try:
                parser.parse_args(command[1:])
            except SystemExit as exc:
                pytest.fail(f"`{' '.join(command)}` is refused by the CLI's parser (exit {exc.code})")


def test_each_served_service_has_a_package_with_a_composition_root(compose):
    for name, svc in long_running(compose).items():
        verb, target = svc["command"][1:3]
        if verb == "serve":
            assert (ROOT / "services" / target / "main.py").is_file(), f"{name}: services/{target}/main.py"
        else:
            assert (ROOT / "services" / target).is_dir(), f"{name}: services/{target}/"


# -------------------------------------------------------------------------------------------- Prometheus


@pytest.fixture(scope="module")
def prometheus_config() -> dict:
    return yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())


def scrape_targets(config: dict) -> dict[str, set[tuple[str, int]]]:
    """job -> (host, port) of its static and DNS-discovered targets."""
    jobs: dict[str, set[tuple[str, int]]] = {}
    for job in config["scrape_configs"]:
        assert job.get("metrics_path", "/metrics") == "/metrics", job["job_name"]
        targets = jobs.setdefault(job["job_name"], set())
        for static in job.get("static_configs", []):
            for target in static["targets"]:
                host, port = target.rsplit(":", 1)
                targets.add((host, int(port)))
        for dns in job.get("dns_sd_configs", []):
            assert dns.get("type", "SRV") == "A", "A records need the port given"
            targets |= {(name, int(dns["port"])) for name in dns["names"]}
    return jobs


def test_prometheus_scrapes_every_http_service_and_only_compose_services(compose, prometheus_config):
    jobs = scrape_targets(prometheus_config)
    scraped = set().union(*jobs.values())
    expected = {(name, health_port(svc)) for name, svc in long_running(compose).items()}
    assert expected == {t for t in scraped if t[0] in long_running(compose)}
    assert {name for name, _port in expected} == set(REGISTERED)
    for host, _port in scraped:
        assert host in compose["services"], f"Prometheus scrapes {host}, which is no compose service"
    for name in long_running(compose):
        assert name in jobs, f"the job of {name} is named after its service (alerts select on job)"


def test_prometheus_scrapes_the_crm_with_the_token_the_monitoring_token_service_writes(compose, prometheus_config):
    prometheus = compose["services"]["prometheus"]
    issuer = compose["services"]["monitoring-token"]
    assert prometheus["depends_on"]["monitoring-token"]["condition"] == "service_completed_successfully"
    created = [c for c in crm_commands(issuer) if c[1:3] == ["token", "create"]]
    assert created and created[0][created[0].index("--role") + 1] == "monitoring"
    script = issuer["command"][2]
    for job in prometheus_config["scrape_configs"]:
        if job["job_name"] not in long_running(compose):
            continue
        auth = job["authorization"]
        assert auth.get("type", "Bearer") == "Bearer"
        folder, file_name = auth["credentials_file"].rsplit("/", 1)
        volume = named_volumes(prometheus)[folder]
        written_to = {path: name for path, name in named_volumes(issuer).items() if name == volume}
        assert written_to, f"monitoring-token does not mount the volume {volume}"
        assert re.search(rf"(?:>|mv \S+) {re.escape(next(iter(written_to)))}/{re.escape(file_name)}\s*$", script)


def test_prometheus_rule_files_are_mounted_and_valid(compose, prometheus_config):
    prometheus = compose["services"]["prometheus"]
    rule_files = [host_path(prometheus, path) for path in prometheus_config["rule_files"]]
    assert rule_files and all(p.is_file() for p in rule_files)
    config_flag = next(a for a in prometheus["command"] if a.startswith("--config.file="))
    assert host_path(prometheus, config_flag.split("=", 1)[1]) == (PROMETHEUS_DIR / "prometheus.yml").resolve()
    names = set()
    for path in rule_files:
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                names.add(rule["alert"])
                assert rule["labels"]["severity"] in ("info", "warning", "critical")
                check_promql(rule["expr"], where=f"{path.name}: {rule['alert']}")
    assert {"CallbackDeadlineBreached", "RelayLagging", "ProcessorLagging", "ServiceDown"} <= names


def test_alerts_cover_breaches_relay_lag_processor_lag_and_down_services():
    text = (PROMETHEUS_DIR / "alerts.yml").read_text()
    rules = {r["alert"]: r for g in yaml.safe_load(text)["groups"] for r in g["rules"]}
    assert "crm_callback_breaches_total" in rules["CallbackDeadlineBreached"]["expr"]
    assert re.search(r"crm_relay_lag_seconds\)?\s*>\s*60\b", rules["RelayLagging"]["expr"])
    assert "crm_processor_lag_events" in rules["ProcessorLagging"]["expr"]
    assert re.search(r"\bup\{.*\}\s*==\s*0", rules["ServiceDown"]["expr"])
    assert "crm_complaints_breached_total" in rules["ComplaintDeadlineMissed"]["expr"]


def _jobs_selected(expr: str) -> set[str]:
    """The jobs an `up{job=~"a|b"}` or `up{job="a"}` selector picks."""
    jobs = set()
    for op, value in re.findall(r'\bup\{[^}]*\bjob\s*(=~|=)\s*"([^"]*)"', expr):
        jobs |= set(value.split("|")) if op == "=~" else {value}
    return jobs


def test_down_and_missing_alerts_and_the_platform_panels_cover_every_registered_part():
    rules = {
        r["alert"]: r for g in yaml.safe_load((PROMETHEUS_DIR / "alerts.yml").read_text())["groups"] for r in g["rules"]
    }
    assert _jobs_selected(rules["ServiceDown"]["expr"]) == set(REGISTERED)
    assert _jobs_selected(rules["ServiceMissing"]["expr"]) == set(REGISTERED)
    board = dashboards()["platform.json"]
    up_panels = [t["expr"] for p in all_panels(board["panels"]) for t in p.get("targets", []) if "up{" in t["expr"]]
    assert up_panels
    for expr in up_panels:
        assert _jobs_selected(expr) == set(REGISTERED), expr


# ------------------------------------------------------------------------------------------- PromQL

_FUNCTION_OR_KEYWORD = {
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "offset",
    "and",
    "or",
    "unless",
    "inf",
    "nan",
}
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_SELECTOR = re.compile(r"(?<![\w:])([A-Za-z_:][\w:]*)\s*\{([^}]*)\}")
_MATCHER = re.compile(r"([A-Za-z_]\w*)\s*(?:=~|!~|!=|=)\s*(\"(?:[^\"\\]|\\.)*\")")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)")


def check_promql(expr: str, where: str) -> set[str]:
    """Every series the expression selects is a known metric, with labels it has. Returns the metric names."""
    expr = re.sub(r"\$\{?\w+\}?", "1m", expr)  # Grafana's $variables, e.g. in [$__rate_interval] or {unit=~"$unit"}
    names = set()
    for metric, matchers in _SELECTOR.findall(expr):
        if metric in _FUNCTION_OR_KEYWORD:
            continue
        labels = {label for label, _value in _MATCHER.findall(matchers)}
        assert metric in KNOWN_SERIES, f"{where}: unknown metric {metric}"
        assert labels <= KNOWN_SERIES[metric] | TARGET_LABELS, f"{where}: {metric} has no label {labels}"
    bare = _STRING.sub('""', expr)
    bare = re.sub(r"\{[^}]*\}", " ", bare)
    bare = re.sub(r"\[[^\]]*\]", " ", bare)
    grouped = set()
    for labels in _GROUPING.findall(bare):
        grouped |= {label.strip() for label in labels.split(",") if label.strip()}
    bare = _GROUPING.sub(" ", bare)
    for match in re.finditer(r"[A-Za-z_:][\w:]*", bare):
        token = match.group(0)
        before = bare[match.start() - 1] if match.start() else " "
        if before.isdigit() or before == ".":  # 1e3, 0.5 and the like
            continue
        if bare[match.end() :].lstrip().startswith("(") or token in _FUNCTION_OR_KEYWORD:
            continue
        assert token in KNOWN_SERIES, f"{where}: unknown metric {token} in {expr}"
        names.add(token)
    available = set().union(*(KNOWN_SERIES[n] for n in names)) | TARGET_LABELS if names else TARGET_LABELS
    assert grouped <= available, f"{where}: groups by {grouped - available}"
    return names


def test_promql_checker_catches_unknown_metrics_and_labels():
    assert check_promql('sum by (unit) (rate(crm_calls_offered_total{unit=~"$unit"}[5m]))', "ok") == {
        "crm_calls_offered_total"
    }
    with pytest.raises(AssertionError):
        check_promql("rate(crm_calls_dropped_total[5m])", "unknown metric")
    with pytest.raises(AssertionError):
        check_promql('crm_relay_lag_seconds{unit="x"}', "unknown label")
    with pytest.raises(AssertionError):
        check_promql("sum by (route) (crm_unanswered_open)", "unknown grouping label")


# ---------------------------------------------------------------------------------------------- Grafana


def dashboards() -> dict[str, dict]:
    return {path.name: json.loads(path.read_text()) for path in sorted(DASHBOARDS_DIR.glob("*.json"))}


def all_panels(panels: list[dict]):
    for panel in panels:
        yield panel
        yield from all_panels(panel.get("panels", []))


def datasource_uids(node) -> set[str]:
    found = set()
    if isinstance(node, dict):
        ds = node.get("datasource")
        if isinstance(ds, dict) and ds.get("uid") and not ds["uid"].startswith("-- "):
            found.add(ds["uid"])
        for value in node.values():
            found |= datasource_uids(value)
    elif isinstance(node, list):
        for item in node:
            found |= datasource_uids(item)
    return found


@pytest.fixture(scope="module")
def datasources() -> list[dict]:
    return yaml.safe_load(DATASOURCES_FILE.read_text())["datasources"]


def test_datasources_are_prometheus_by_default_and_the_reporting_database(datasources):
    by_name = {ds["name"]: ds for ds in datasources}
    defaults = [ds for ds in datasources if ds.get("isDefault")]
    assert [ds["type"] for ds in defaults] == ["prometheus"]
    reporting = by_name["CRM reporting"]
    assert reporting["type"] in ("grafana-postgresql-datasource", "postgres")
    assert reporting["jsonData"]["database"] == "crm_reporting"
    assert "password" in reporting["secureJsonData"]
    assert len({ds["uid"] for ds in datasources}) == len(datasources)


def test_grafana_mounts_the_provisioning_and_dashboards(compose):
    grafana = compose["services"]["grafana"]
    assert host_path(grafana, "/etc/grafana/provisioning/datasources/datasources.yml") == DATASOURCES_FILE.resolve()
    providers = yaml.safe_load(DASHBOARD_PROVIDERS_FILE.read_text())["providers"]
    assert providers
    for provider in providers:
        assert provider["type"] == "file"
        assert host_path(grafana, provider["options"]["path"]) == DASHBOARDS_DIR.resolve()
    home = grafana["environment"].get("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH")
    if home:
        assert host_path(grafana, home).is_file()
    assert "3000" in " ".join(map(str, grafana["ports"]))


def test_dashboards_parse_and_reference_only_known_metrics(datasources):
    found = dashboards()
    assert {"calls.json"} <= set(found)
    uids = {ds["uid"] for ds in datasources}
    dashboard_uids = set()
    for name, board in found.items():
        assert board["title"] and board["uid"] and board["uid"] not in dashboard_uids, name
        dashboard_uids.add(board["uid"])
        assert 36 <= board["schemaVersion"] <= 41, name
        assert datasource_uids(board) <= uids, f"{name} uses data sources Grafana does not have"
        panels = list(all_panels(board["panels"]))
        ids = [p["id"] for p in panels]
        assert len(ids) == len(set(ids)), f"{name}: panel ids repeat"
        for panel in panels:
            assert panel["type"] == "row" or panel.get("targets"), f"{name}: {panel['title']} has no query"
            pos = panel["gridPos"]
            assert pos["x"] + pos["w"] <= 24, f"{name}: {panel['title']} is wider than the grid"
            for target in panel.get("targets", []):
                check_promql(target["expr"], where=f"{name}: {panel['title']}")
        for variable in board.get("templating", {}).get("list", []):
            if variable["type"] == "query":
                query = variable["query"]["query"] if isinstance(variable["query"], dict) else variable["query"]
                metric = re.fullmatch(r"label_values\(([\w:]+)\s*,\s*(\w+)\)", query)
                assert metric and metric.group(2) in KNOWN_SERIES[metric.group(1)], f"{name}: {query}"


def test_call_centre_dashboard_shows_every_call_centre_figure():
    board = dashboards()["calls.json"]
    exprs = [t["expr"] for p in all_panels(board["panels"]) for t in p.get("targets", [])]
    used = set().union(*(check_promql(e, "calls.json") for e in exprs))
    assert set(METRICS) - used == set(), "calls.json leaves out some of the CRM's metrics"
    joined = "\n".join(exprs)
    assert "histogram_quantile(0.5," in joined and "histogram_quantile(0.9," in joined
    titles = " | ".join(p["title"].lower() for p in all_panels(board["panels"]))
    for words in (
        "answer rate",
        "open unanswered",
        "callback delay",
        "breaches",
        "escalations",
        "relay lag",
        "processor lag",
        "error rate",
        "latency",
    ):
        assert words in titles, f"calls.json has no panel on {words}"


def test_complaints_dashboard_shows_every_complaint_figure():
    board = dashboards()["complaints.json"]
    exprs = [t["expr"] for p in all_panels(board["panels"]) for t in p.get("targets", [])]
    used = set().union(*(check_promql(e, "complaints.json") for e in exprs))
    assert set(COMPLAINT_METRICS) - used == set(), "complaints.json leaves out some of the complaint metrics"


def test_actions_dashboard_shows_every_corrective_action_figure():
    board = dashboards()["actions.json"]
    exprs = [t["expr"] for p in all_panels(board["panels"]) for t in p.get("targets", [])]
    used = set().union(*(check_promql(e, "actions.json") for e in exprs))
    assert set(ACTION_METRICS) - used == set(), "actions.json leaves out some of the corrective action metrics"
    titles = " | ".join(p["title"].lower() for p in all_panels(board["panels"]))
    for words in ("overdue", "by state", "by unit", "effectiveness"):
        assert words in titles, f"actions.json has no panel on {words}"


def test_plan_dashboard_shows_actual_planned_target_projection_risks_and_costs():
    board = dashboards()["plan.json"]
    exprs = [t["expr"] for p in all_panels(board["panels"]) for t in p.get("targets", [])]
    used = set().union(*(check_promql(e, "plan.json") for e in exprs))
    assert set(PLAN_METRICS) - used == set(), "plan.json leaves out some of the plan's metrics"
    titles = " | ".join(p["title"].lower() for p in all_panels(board["panels"]))
    for words in (
        "actual vs planned vs target vs projection",
        "missed",
        "risks by priority band",
        "risk signals",
        "reviews due",
        "revision",
        "costs planned against spent",
    ):
        assert words in titles, f"plan.json has no panel on {words}"


def test_surveys_dashboard_shows_every_survey_figure():
    board = dashboards()["surveys.json"]
    exprs = [t["expr"] for p in all_panels(board["panels"]) for t in p.get("targets", [])]
    used = set().union(*(check_promql(e, "surveys.json") for e in exprs))
    assert set(SURVEY_METRICS) - used == set(), "surveys.json leaves out some of the survey metrics"
    titles = " | ".join(p["title"].lower() for p in all_panels(board["panels"]))
    for words in ("trend round over round", "response rate", "complaints", "attempts", "below the 70%"):
        assert words in titles, f"surveys.json has no panel on {words}"


def test_the_survey_metrics_the_dashboard_reads_are_the_ones_the_service_exports():
    """The names and labels above are those of services/surveys/metrics.py, so the check above checks the truth."""
    from services.surveys.metrics import SurveyCollector

    class Nothing:
        def running_ids(self):
            return []

        def periodic_rounds(self):
            return []

    exported = {m.name: m for m in SurveyCollector(None, Nothing(), None).collect()}  # type: ignore[arg-type]
    assert {name: set(m._labelnames) for name, m in exported.items()} == SURVEY_METRICS
