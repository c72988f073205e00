"""Per-request costs the services leave out: FastAPI's own OpenTelemetry where none is configured, and SQLite
connections of an event store opened and closed again for every concurrent read."""

from __future__ import annotations

from services.calls.application import CallCentre
from shared.eventstore import SQLITE_POOL_SIZE, store_env
from shared.service import create_service_app, native_telemetry


def test_fastapi_telemetry_stays_on_only_where_opentelemetry_is_configured() -> None:
    assert native_telemetry({"PATH": "/usr/bin", "CRM_DATA_DIR": "/srv"}) == {
        "tracing": False,
        "metrics": False,
        "logs": False,
    }
    assert native_telemetry({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}) is None


def test_a_service_app_without_opentelemetry_never_asks_for_a_provider(settings, monkeypatch) -> None:
    for name in [n for n in __import__("os").environ if n.startswith("OTEL_")]:
        monkeypatch.delenv(name)
    app = create_service_app("calls", settings, title="t", description="d")
    assert app._native_telemetry.enabled() is False


def test_an_event_store_keeps_the_connections_its_concurrent_readers_opened(settings) -> None:
    centre = CallCentre(store_env(settings, "calls"))
    pool = centre.recorder.datastore.pool  # type: ignore[attr-defined]
    held = [pool.get_connection(is_writer=False) for _ in range(12)]
    for conn in held:
        pool.put_connection(conn)
    assert pool.num_in_pool == 12 <= SQLITE_POOL_SIZE
    again = [pool.get_connection(is_writer=False) for _ in range(12)]
    assert {id(c) for c in again} == {id(c) for c in held}  # the same connections, none opened anew
    for conn in again:
        pool.put_connection(conn)
    centre.close()
