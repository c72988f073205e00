"""The deployment's store on one machine: `crm run` with CRM_STORE=postgres (one schema per service under a fresh
prefix), fed by `crm demo`; the reports answer with the demo's calls and complaints."""

from __future__ import annotations

import signal
import subprocess

import httpx
import psycopg
import pytest

from services.calls.domain import call_id_for_pbx
from services.registry import SERVICES
from shared.auth import Role, TokenStore
from tests.integration.conftest import PG_URL, crm, crm_env, free_port, pg_settings, wait_healthy, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

CALLS, MEMBERS, SEED = 80, 40, 1405
# Every part `crm run` starts gets a free port: the services of the registry, the processor and the broker.
PORTS = (*(s.port_setting.removesuffix("_port") for s in SERVICES.values()), "processor", "broker")


def get(url: str, headers: dict[str, str]):
    r = httpx.get(url, headers=headers, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def test_crm_run_on_postgresql_fed_by_the_demo_answers_reports_with_its_data(settings, pg_schema, topic_prefix):
    ports = {name: free_port() for name in PORTS}
    settings = pg_settings(settings, pg_schema).model_copy(
        update={
            "topic_prefix": topic_prefix,
            "kafka_bootstrap": f"127.0.0.1:{ports['broker']}",
            **{f"{name}_port": port for name, port in ports.items()},
        }
    )
    env = crm_env(
        settings,
        **{f"CRM_{name.upper()}_PORT": str(port) for name, port in ports.items()},
        CRM_EMBEDDED_BROKER="true",
        CRM_PROCESSOR_TICK_SECONDS="0.5",
        CRM_RELAY_POLL_INTERVAL="0.2",
    )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with open(settings.data_dir / "run.log", "ab") as log:
        run = crm("run", env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_healthy(
            *(service.url(settings) for service in SERVICES.values()),
            f"http://127.0.0.1:{ports['processor']}",
            timeout=120,
        )
        demo = crm("demo", "--calls", str(CALLS), "--members", str(MEMBERS), "--seed", str(SEED), env=env)
        assert demo.wait(timeout=300) == 0

        # The events are in PostgreSQL, one schema per service, none in SQLite files.
        with psycopg.connect(PG_URL) as conn:
            schemas = {
                row[0]
                for row in conn.execute(
                    "SELECT DISTINCT table_schema FROM information_schema.tables WHERE table_schema LIKE %s",
                    (pg_schema + "%",),
                )
            }
        assert {pg_schema + s for s in ("calls", "members", "complaints", "reporting")} <= schemas
        assert not list(settings.data_dir.glob("*.events.db"))

        auditor = {"Authorization": f"Bearer {TokenStore(settings.auth_db_url).create('auditor', Role.AUDITOR)}"}
        reports = SERVICES["reporting"].url(settings)
        demo_calls = {str(call_id_for_pbx(f"demo-{SEED}-{i}")) for i in range(CALLS)}
        unanswered = wait_until(
            lambda: get(f"{reports}/reports/unanswered?state=all", auditor), timeout=90, what="unanswered calls"
        )
        assert {i["call_id"] for i in unanswered} <= demo_calls
        units = wait_until(
            lambda: (lambda u: u if sum(x["offered"] for x in u) > 0 else None)(
                get(f"{reports}/reports/units", auditor)
            ),
            what="unit figures",
        )
        assert sum(u["unanswered"] for u in units) >= len(unanswered) > 0
        # The oldest demo day has ended long ago: its end-of-day lists and the breaches of its deadlines are there.
        wait_until(lambda: get(f"{reports}/reports/end-of-day", auditor), timeout=60, what="end-of-day lists")
        wait_until(lambda: get(f"{reports}/reports/unanswered?breached=true", auditor), timeout=60, what="breaches")
        complaints = wait_until(
            lambda: get(f"{reports}/reports/complaints/open", auditor), timeout=60, what="open complaints"
        )
        assert complaints
        # The plan's CRM-measured activities moved: the survey closed, the improvements opened from it and the
        # session held reached the plan's KPI consumer through the broker; visits were entered by hand.
        plan = SERVICES["plan"].url(settings)

        def measured() -> dict | None:
            rows = {r["activity"]: r for r in get(f"{plan}/plan/progress", auditor)["activities"]}
            moved = all(rows[k]["actual"] > 0 for k in ("F.2.1.1", "F.2.1.2", "F.2.1.3"))
            return rows if moved else None

        rows = wait_until(measured, timeout=90, what="plan actuals")
        assert (rows["F.2.1.1"]["actual"], rows["F.2.1.2"]["actual"]) == (1, 2)
        assert all(rows[k]["projection"] >= rows[k]["actual"] for k in ("F.2.1.1", "F.2.1.2", "F.2.1.3"))
    finally:
        run.send_signal(signal.SIGTERM)
        try:
            run.wait(timeout=90)
        except subprocess.TimeoutExpired:
            run.kill()
            run.wait()
