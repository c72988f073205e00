"""Every service's OpenAPI fuzzed with schemathesis: no input, however odd, gets a 5xx, and the answers conform to the
documented schema where it documents them.

Each operation gets schemathesis's coverage cases (boundary and just-invalid values, derived from the schema) and
MAX_EXAMPLES generated valid and invalid cases (derandomised, so a run is repeatable), sent in-process to the app
(ASGI) with the token of each of two roles that may call most of that service's endpoints; the app runs with its
lifespan (followers) and off Kafka, as the API tests run it. About 70 s for the four services on this machine.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.generation.drivers import CoverageGenerator
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.generation.overrides import Override
from schemathesis.specs.openapi.checks import response_schema_conformance

from services.registry import SERVICES, load
from shared.auth import Role, TokenStore

MAX_EXAMPLES = 15

# (service, method, path) -> why a 5xx is still expected there. Empty it as the fixes land; an entry that no longer
# fails is reported, so that the list only shrinks.
KNOWN_SERVER_ERRORS: dict[tuple[str, str, str], str] = {}

# (service, role, unit) whose token the fuzzer sends: the role that may call most of the service's endpoints.
CALLERS = {
    "calls": [("telephony", Role.TELEPHONY, None), ("z.rahimi", Role.EXPERT, "member_relations")],
    "members": [("operator", Role.ADMIN, None), ("m.karimi", Role.MR_MANAGER, "member_relations")],
    "complaints": [("m.karimi", Role.MR_MANAGER, "member_relations"), ("sg", Role.SG, None)],
    "reporting": [("auditor", Role.AUDITOR, None), ("sg", Role.SG, None)],
    "actions": [("sg", Role.SG, None), ("m.karimi", Role.MR_MANAGER, "member_relations")],
    "desks": [("operator", Role.ADMIN, None), ("k.moradi", Role.MS_EXPERT, "member_services")],
    "plan": [("operator", Role.ADMIN, None), ("sg", Role.SG, None)],
    "surveys": [("m.karimi", Role.MR_MANAGER, "member_relations"), ("sg", Role.SG, None)],
    "notifications": [("operator", Role.ADMIN, None), ("f.alavi", Role.UNIT_MANAGER, "trade")],
    "console": [("operator", Role.ADMIN, None)],
}


def _factory(service: str) -> Callable:
    """The service's app as the registry builds it, kept off Kafka when it relays (no relay, no consumers)."""
    entry = SERVICES[service]
    create_app = load(entry.create_app)
    if entry.relays:
        return lambda s, clock: create_app(s, clock=clock, relay=False)
    return lambda s, clock: create_app(s, clock=clock)


def test_every_registered_service_is_fuzzed():
    assert set(CALLERS) == set(SERVICES)


def fuzz(app, headers: dict[str, str]) -> tuple[list[str], list[str], set[tuple[str, str]]]:
    """(server errors, schema violations, operations that answered 5xx) over every operation of the app."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    server_errors: list[str] = []
    violations: list[str] = []
    failing: set[tuple[str, str]] = set()
    for result in schema.get_all_operations():
        operation = result.ok()
        for case in coverage_cases(schema, operation):
            check(operation, case, headers, server_errors, violations, failing)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            fuzz_operation(operation, mode, headers, server_errors, violations, failing)
    return server_errors, violations, failing


def coverage_cases(schema, operation):
    """schemathesis's coverage phase: boundary and just-invalid values of every parameter and body field, derived
    from the schema without randomness (a few hundred cases per service)."""
    return CoverageGenerator(
        operation=operation,
        generation_modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        generation_config=schema.config.generation_for(operation=operation, phase="coverage"),
        auth_storage=None,
        override=Override(),
        feedback=FeedbackSources(),
    )


def check(operation, case, headers, server_errors: list[str], violations: list[str], failing: set) -> None:
    where = f"{operation.method.upper()} {operation.path}"
    try:
        response = case.call(headers=headers)
    except Exception as exc:  # noqa: BLE001 - the in-process client re-raises what the app raised with its 500
        failing.add((operation.method.upper(), operation.path))
        server_errors.append(f"{where} -> 500 ({type(exc).__name__}: {exc}): {case.as_curl_command(headers)}")
        return
    if response.status_code >= 500:
        failing.add((operation.method.upper(), operation.path))
        server_errors.append(f"{where} -> {response.status_code}: {case.as_curl_command(headers)}")
        return
    try:
        case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
    except AssertionError as exc:  # schemathesis raises its failures as AssertionErrors
        violations.append(f"{where} -> {response.status_code}: {str(exc).strip().splitlines()[0][:300]}")


def fuzz_operation(operation, mode, headers, server_errors: list[str], violations: list[str], failing: set) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis_settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        database=None,
        derandomize=True,
    )
    def run(case) -> None:
        check(operation, case, headers, server_errors, violations, failing)

    try:
        run()
    except Unsatisfiable:  # an operation with nothing to get wrong (no parameters, no body) has no negative case
        if mode is GenerationMode.POSITIVE:
            raise


@pytest.mark.parametrize("service", list(CALLERS))
def test_no_generated_request_gets_a_server_error(service, settings, clock):
    app = _factory(service)(settings, clock)
    store = TokenStore(settings.auth_db_url)
    server_errors, violations, failing = [], [], set()
    # schemathesis runs the app's lifespan itself (followers running, as in service) and ends it at teardown.
    for name, role, unit in CALLERS[service]:
        headers = {"Authorization": f"Bearer {store.create(name, role, unit)}"}
        errors, wrong, where = fuzz(app, headers)
        server_errors += errors
        violations += wrong
        failing |= where
    unexpected = [e for e in server_errors if not _known(service, e)]
    assert not unexpected, f"{len(unexpected)} server errors:\n" + "\n".join(sorted(set(unexpected))[:40])
    assert not violations, "answers outside the documented schema:\n" + "\n".join(sorted(set(violations))[:40])
    fixed = [k for k in KNOWN_SERVER_ERRORS if k[0] == service and (k[1], k[2]) not in failing]
    assert not fixed, f"no longer failing, remove from KNOWN_SERVER_ERRORS: {fixed}"


def _known(service: str, error: str) -> bool:
    method, path = error.split(" -> ")[0].split(" ", 1)
    return (service, method, path) in KNOWN_SERVER_ERRORS
