"""A periodic round's answers by phone, the whole way: HTTP API -> surveys event store -> relay -> Kafka, and the
store -> the responses read model that the scores and the satisfaction trend read (target: >= 2,000 answers/s).

Starts the real parts as the launcher does, each a process of its own in a temporary data directory on free
ports: the embedded broker (`crm broker`) and the surveys service (`crm serve surveys`: its HTTP API, the relay
that publishes its store to `crm.surveys.events.v1`, and the follower that keeps the survey index: the call list
and the responses read model behind `GET /surveys/{id}/scores`, `/trend.svg` and the reports). Then

1. gives the service's member roster `--members` active members (the rows the members topic would leave; the
   roster's own feed is not what this measures), and plans, times, sets the questions of and starts a periodic
   round over them through the API, as the president and the member-relations manager do;
2. posts the answers from a client in another process: one request per member with the member's 10 answers
   (`POST /surveys/{id}/contacts/{number}/response`, what an expert submits at the end of a call), over
   `--connections` concurrent keep-alive connections, with an expert's token (access checks, validation and the
   one-answer-per-member rule as for any call);
3. watches both ends until every answer has arrived: the responses read model (its table, polled) and the topic
   (a consumer reading `crm.surveys.contact.responded.v1` records); then checks through `GET /surveys/{id}/scores`
   that the API counts every response, and that both ends hold exactly the answers posted: none lost, none twice;
4. measures a BASELINE in the same run, once the service has stopped: the very rows the store wrote for the
   responses, under fresh ids, inserted raw into a table of the same SQLite file, one transaction per response
   as the store wrote them; prints the ratio answers/s through the pipeline ÷ raw answers/s.

The figure is answers/s from the first post to the last answer visible at both ends.

    .venv/bin/python bench/surveys_pipeline.py [--members 30000] [--answers 300000] [--connections 32]

`--answers N` posts N answers (N/10 members' responses; `--members` defaults to the members needed), for a quick
run. To compare with the code before a change, run the same script with CRM_BENCH_CODE=<other checkout>.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import _common as C  # noqa: I001 - puts the project on sys.path
import httpx  # noqa: E402

PY = sys.executable
QUESTIONS = [{"key": f"q{i}", "text": {"fa": f"پرسش {i}", "tr": f"Soru {i}"}} for i in range(1, 10)] + [
    {"key": "recommend", "kind": "yes_no", "text": {"fa": "توصیه می‌کنید؟", "tr": "Tavsiye eder misiniz?"}}
]
PER_RESPONSE = len(QUESTIONS)
BOARD = [
    {"name": "president", "role": "president"},
    {"name": "sg", "role": "sg"},
    {"name": "m.karimi", "role": "mr_manager"},
]
RESPONDED = "crm.surveys.contact.responded.v1"


# --- the system under test ------------------------------------------------------------------------------------


class Pipeline:
    """The broker and the surveys service, as `crm run` starts them, in a data directory of their own."""

    def __init__(self, data_dir: Path, code: Path = C.ROOT):
        self.data_dir, self.code = data_dir, code
        broker, surveys = C.free_ports(2)
        self.env = {
            **C.clean_crm_env(),
            "CRM_DATA_DIR": str(data_dir),
            "CRM_BROKER_PORT": str(broker),
            "CRM_KAFKA_BOOTSTRAP": f"127.0.0.1:{broker}",
            "CRM_SURVEYS_PORT": str(surveys),
            "CRM_TOPIC_PREFIX": "bench",
        }
        self.bootstrap = f"127.0.0.1:{broker}"
        self.url = f"http://127.0.0.1:{surveys}"
        self.topic = "bench.surveys.events.v1"
        self.procs: dict[str, subprocess.Popen] = {}

    def crm(self, *args: str) -> str:
        done = subprocess.run(
            [PY, "-m", "services.cli", *args], env=self.env, cwd=self.code, capture_output=True, text=True, timeout=120
        )
        if done.returncode != 0:
            raise RuntimeError(f"crm {' '.join(args)} failed: {done.stderr.strip()[-2000:]}")
        return done.stdout.strip()

    def token(self, role: str, name: str, *unit: str) -> str:
        args = ("--unit", *unit) if unit else ()
        return self.crm("token", "create", "--role", role, "--name", name, *args).splitlines()[-1].strip()

    def _start(self, part: str, *args: str) -> None:
        log = open(self.data_dir / f"{part}.log", "wb")  # noqa: SIM115 - handed to the child
        self.procs[part] = subprocess.Popen(
            [PY, "-m", "services.cli", *args], env=self.env, cwd=self.code, stdout=log, stderr=subprocess.STDOUT
        )

    def start_broker(self) -> None:
        from shared.broker import wait_for_port

        self._start("broker", "broker")
        wait_for_port("127.0.0.1", int(self.env["CRM_BROKER_PORT"]), timeout=30)
        self.crm("topics", "create")

    def start_service(self, timeout: float = 120.0) -> None:
        self._start("surveys", "serve", "surveys")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.procs["surveys"].poll() is not None:
                raise RuntimeError(f"the surveys service exited:\n{self.log('surveys')}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"the surveys service is not up after {timeout:.0f}s:\n{self.log('surveys')}")

    def log(self, part: str) -> str:
        return (self.data_dir / f"{part}.log").read_text(errors="replace")[-3000:]

    def cpu_seconds(self, part: str) -> float:
        proc = self.procs.get(part)
        if proc is None:
            return float("nan")
        try:
            fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return float("nan")
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        for part in ("surveys", "broker"):  # the service first: its relay still talks to the broker
            proc = self.procs.get(part)
            if proc is None or proc.poll() is not None:
                continue
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def seed_roster(data_dir: Path, numbers: list[str]) -> None:
    """The service's member roster as the members topic leaves it once the members are registered and active."""
    from services.surveys.members import MemberRoster, roster
    from shared.db import create_engine
    from shared.settings import Settings

    engine = create_engine(Settings(data_dir=data_dir).local_db_url("surveys_index"))
    MemberRoster(engine)  # its tables
    rows = [
        {"member_id": str(uuid.uuid4()), "membership_number": n, "active": True, "version": 1, "trade_group": None}
        for n in numbers
    ]
    with engine.begin() as conn:
        for i in range(0, len(rows), 5000):
            conn.execute(roster.insert(), rows[i : i + 5000])
    engine.dispose()


def start_round(url: str, tokens: dict[str, str], today: str, ends: str) -> str:
    def h(role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[role]}"}

    with httpx.Client(base_url=url, timeout=300) as client:

        def post(path: str, role: str, body: dict | None = None) -> dict:
            r = client.post(path, json=body, headers=h(role))
            if r.status_code not in (200, 201):
                raise RuntimeError(f"POST {path}: {r.status_code} {r.text[:500]}")
            return r.json()

        qid = post(
            "/questionnaires", "mr_manager", {"code": "round", "title": "Member satisfaction", "questions": QUESTIONS}
        )["id"]
        sid = post("/surveys/periodic", "president", {"period": "2026-H2", "questionnaire_id": qid})["id"]
        post(f"/surveys/{sid}/timing", "president", {"starts_on": today, "ends_on": ends})
        meeting = {"purpose": "questions", "held_on": today, "attendees": BOARD, "minutes": "questions set"}
        post(f"/surveys/{sid}/meetings", "president", meeting)
        post(f"/surveys/{sid}/start", "mr_manager")
        return sid


# --- the two ends, watched ----------------------------------------------------------------------------------------


class ReadModelWatch(threading.Thread):
    """Polls the responses read model (the service's index database) until it holds `expected` responses."""

    def __init__(self, db: Path, survey_id: str, expected: int):
        super().__init__(daemon=True)
        self.db, self.survey_id, self.expected = db, survey_id, expected
        self.count, self.done_at = 0, None
        self.stop = threading.Event()

    def run(self) -> None:
        con = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=30)
        try:
            while not self.stop.is_set():
                try:
                    self.count = con.execute(
                        "SELECT count(*) FROM survey_responses WHERE survey_id = ?", (self.survey_id,)
                    ).fetchone()[0]
                except sqlite3.OperationalError:  # busy for a moment: ask again
                    pass
                if self.count >= self.expected:
                    self.done_at = time.time()
                    return
                self.stop.wait(0.1)
        finally:
            con.close()


class TopicWatch(threading.Thread):
    """Reads the surveys topic from the start and keeps every responded record (by event id) until `expected`."""

    def __init__(self, bootstrap: str, topic: str, expected: int):
        super().__init__(daemon=True)
        self.bootstrap, self.topic, self.expected = bootstrap, topic, expected
        self.seen: dict[str, dict] = {}
        self.duplicates = 0
        self.done_at: float | None = None
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            asyncio.run(self._go())
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            self.error = exc

    async def _go(self) -> None:
        from aiokafka import AIOKafkaConsumer, TopicPartition

        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False, group_id=None)
        await consumer.start()
        try:
            partitions: set[int] = set()
            while not partitions and not self.stop.is_set():
                await consumer._client.force_metadata_update()  # noqa: SLF001
                partitions = consumer.partitions_for_topic(self.topic) or set()
                if not partitions:
                    await asyncio.sleep(0.2)
            tps = [TopicPartition(self.topic, p) for p in sorted(partitions)]
            consumer.assign(tps)
            await consumer.seek_to_beginning(*tps)
            while not self.stop.is_set() and len(self.seen) < self.expected:
                batch = await consumer.getmany(timeout_ms=200, max_records=5000)
                for msgs in batch.values():
                    for m in msgs:
                        headers = {k: v.decode() for k, v in m.headers}
                        if headers.get("ce_type") != RESPONDED:
                            continue
                        if headers["ce_id"] in self.seen:
                            self.duplicates += 1
                            continue
                        self.seen[headers["ce_id"]] = (headers["ce_subject"], json.loads(m.value))
            if len(self.seen) >= self.expected:
                self.done_at = time.time()
        finally:
            await consumer.stop()


# --- the client, in a process of its own --------------------------------------------------------------------------


async def post_all(work: dict) -> dict:
    host, port = work["host"], work["port"]
    http = C.RawHTTP(host, port, max_connections=work["connections"])
    headers = {"Authorization": f"Bearer {work['token']}"}
    items = work["items"]
    statuses: dict[int, int] = {}
    failures: list[str] = []
    position = 0

    async def worker() -> None:
        nonlocal position
        while position < len(items):
            number, answers = items[position]
            position += 1
            body = json.dumps({"line": "fixed", "answers": answers}).encode()
            status, data = await http.request(
                "POST", f"/surveys/{work['survey_id']}/contacts/{number}/response", body, headers
            )
            statuses[status] = statuses.get(status, 0) + 1
            if status != 200 and len(failures) < 5:
                failures.append(f"{number}: {status} {data[:300]!r}")

    first = time.time()
    await asyncio.gather(*(worker() for _ in range(work["connections"])))
    last = time.time()
    await http.close()
    return {"first": first, "last": last, "statuses": statuses, "failures": failures}


def run_client(work_file: Path) -> None:
    work = json.loads(work_file.read_text())
    print(json.dumps(asyncio.run(post_all(work))), flush=True)


# --- the baseline ---------------------------------------------------------------------------------------------------


def baseline(store: Path, limit: int) -> tuple[float, int]:
    """Raw inserts of the rows the store wrote for up to `limit` responses (all the events of each member's contact,
    under a fresh id), into a table of the same SQLite file, one transaction per response: transactions/s."""
    con = sqlite3.connect(store, isolation_level=None)
    try:
        rows = con.execute(
            "SELECT originator_id, originator_version, topic, state FROM stored_events WHERE topic LIKE '%:Contact.%' "
            "ORDER BY rowid"
        ).fetchall()
        groups: dict[str, list[tuple]] = {}
        for oid, version, topic, state in rows:
            if oid in groups or len(groups) < limit:
                groups.setdefault(oid, []).append((version, topic, state))
        con.execute(
            "CREATE TABLE bench_raw_events (originator_id TEXT, originator_version INTEGER, topic TEXT, state BLOB, "
            "PRIMARY KEY (originator_id, originator_version))"
        )
        params = [[(uuid.uuid4().hex, v, t, s) for v, t, s in group] for group in groups.values()]
        started = time.perf_counter()
        for group in params:
            con.execute("BEGIN")
            con.executemany("INSERT INTO bench_raw_events VALUES (?,?,?,?)", group)
            con.execute("COMMIT")
        seconds = time.perf_counter() - started
        con.execute("DROP TABLE bench_raw_events")
        return len(params) / seconds, len(params)
    finally:
        con.close()


# --- the run ------------------------------------------------------------------------------------------------------


def check_exact(posted: dict[str, dict], found: dict[str, dict], where: str) -> None:
    lost = sorted(set(posted) - set(found))
    extra = sorted(set(found) - set(posted))
    wrong = [n for n in posted if n in found and found[n] != posted[n]]
    if lost or extra or wrong:
        raise AssertionError(
            f"{where}: {len(lost)} responses lost {lost[:3]}, {len(extra)} not posted {extra[:3]}, "
            f"{len(wrong)} with other answers {wrong[:3]}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--answers", type=int, default=300_000, help="answers posted (10 per member's response)")
    parser.add_argument("--members", type=int, default=None, help="members asked by the round (default: as needed)")
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections of the client")
    parser.add_argument("--baseline", type=int, default=3000, help="responses inserted raw for the baseline")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds to wait for the last answer")
    parser.add_argument("--seed", type=int, default=1405)
    parser.add_argument(
        "--keep", type=Path, help="keep the data directory here, with run.json: what was posted and seen"
    )
    parser.add_argument("--client", type=Path, help=argparse.SUPPRESS)  # the posting client's own process
    args = parser.parse_args()
    if args.client:
        run_client(args.client)
        return
    responses = max(1, args.answers // PER_RESPONSE)
    members = max(args.members or responses, responses)
    rng = random.Random(args.seed)
    numbers = [f"{args.seed}{i:06d}" for i in range(1, members + 1)]
    answering = rng.sample(numbers, responses)
    posted = {
        n: {**{f"q{i}": rng.choice((2, 3, 4, 4, 5)) for i in range(1, 10)}, "recommend": rng.random() < 0.8}
        for n in answering
    }
    print(f"code measured: {C.ROOT}")
    with tempfile.TemporaryDirectory(prefix="crm-bench-surveys-pipeline-") as tmp:
        data = args.keep.resolve() if args.keep else Path(tmp)
        data.mkdir(parents=True, exist_ok=True)
        system = Pipeline(data)
        try:
            seed_roster(data, numbers)
            system.start_broker()
            tokens = {
                "president": system.token("president", "president"),
                "mr_manager": system.token("mr_manager", "m.karimi"),
                "expert": system.token("expert", "z.rahimi", "member_relations"),
            }
            system.start_service()
            today = C.now_utc().date()
            started = time.perf_counter()
            sid = start_round(system.url, tokens, today.isoformat(), (today + timedelta(days=60)).isoformat())
            print(f"round of {members} members started through the API in {time.perf_counter() - started:.2f} s")

            readmodel = ReadModelWatch(data / "surveys_index.db", sid, responses)
            topic = TopicWatch(system.bootstrap, system.topic, responses)
            topic.start()
            port = int(system.url.rsplit(":", 1)[1])
            work = {
                "host": "127.0.0.1",
                "port": port,
                "token": tokens["expert"],
                "survey_id": sid,
                "connections": args.connections,
                "items": list(posted.items()),
            }
            work_file = data / "work.json"
            work_file.write_text(json.dumps(work))
            cpu_before = system.cpu_seconds("surveys")
            readmodel.start()
            client = subprocess.run(
                [PY, __file__, "--client", str(work_file)], capture_output=True, text=True, timeout=args.timeout
            )
            if client.returncode != 0:
                raise RuntimeError(f"the client failed: {client.stderr[-2000:]}")
            sent = json.loads(client.stdout.strip().splitlines()[-1])
            ok = sent["statuses"].get("200", 0)
            if ok != responses:
                raise RuntimeError(f"{ok} of {responses} responses accepted: {sent['statuses']} {sent['failures']}")
            accepted_per_s = responses * PER_RESPONSE / (sent["last"] - sent["first"])
            print(
                f"{responses} responses ({responses * PER_RESPONSE} answers) accepted in {sent['last'] - sent['first']:.1f} s"
            )
            deadline = time.monotonic() + args.timeout
            for watch in (readmodel, topic):
                watch.join(timeout=max(1.0, deadline - time.monotonic()))
            readmodel.stop.set()
            topic.stop.set()
            if topic.error is not None:
                raise topic.error
            if readmodel.done_at is None or topic.done_at is None:
                raise RuntimeError(
                    f"not every answer arrived: read model {readmodel.count}, topic {len(topic.seen)} of {responses}"
                )
            cpu = system.cpu_seconds("surveys") - cpu_before
            visible = max(readmodel.done_at, topic.done_at)
            seconds = visible - sent["first"]
            answers_per_s = responses * PER_RESPONSE / seconds
            print(
                f"last answer in the read model {readmodel.done_at - sent['last']:+.2f} s and on the topic "
                f"{topic.done_at - sent['last']:+.2f} s after the last post; surveys service CPU {cpu:.1f} s "
                f"({cpu / responses * 1000:.2f} ms per response)"
            )

            # Exactly the answers posted, at both ends, and through the API.
            with sqlite3.connect(data / "surveys_index.db") as con:
                rows = con.execute(
                    "SELECT membership_number, answers FROM survey_responses WHERE survey_id = ?", (sid,)
                ).fetchall()
            check_exact(posted, {n: json.loads(a) for n, a in rows}, "read model")
            from services.surveys.domain import contact_id

            on_topic = {subject: data["answers"] for subject, data in topic.seen.values()}
            if len(on_topic) != len(topic.seen):
                raise AssertionError("a member answered twice on the topic")
            check_exact({str(contact_id(sid, n)): a for n, a in posted.items()}, on_topic, "topic")
            scores = httpx.get(
                f"{system.url}/surveys/{sid}/scores",
                headers={"Authorization": f"Bearer {tokens['mr_manager']}"},
                timeout=300,
            ).json()
            assert scores["responses"] == responses, scores["responses"]
            print(
                f"read model and topic hold exactly the {responses} responses posted ({topic.duplicates} records "
                f"published twice, read once); scores over {scores['responses']} responses"
            )
        except BaseException:
            for part in system.procs:
                print(f"--- {part} log ---\n{system.log(part)}", file=sys.stderr)
            raise
        finally:
            system.stop()
        if args.keep:
            seen = {"survey_id": sid, "posted": posted, "topic_records": len(topic.seen) + topic.duplicates}
            seen["topic"] = {subject: data["answers"] for subject, data in topic.seen.values()}
            (data / "run.json").write_text(json.dumps(seen))
        raw_per_s, raw_n = baseline(data / "surveys.events.db", args.baseline)
        raw_answers_per_s = raw_per_s * PER_RESPONSE
        ratio = answers_per_s / raw_answers_per_s
        print(f"baseline: {raw_n} responses' rows inserted raw, {raw_per_s:.0f} transactions/s")
    target = answers_per_s >= 2000
    print(C.result_line("answers HTTP -> read model + Kafka/s", answers_per_s, "answers/s", ">= 2000", target))
    print(C.result_line("answers accepted by the API/s", accepted_per_s, "answers/s", "-", None))
    print(C.result_line("pipeline answers/s ÷ raw answers/s", ratio, "ratio", "-", None))
    print(C.result_line("raw transactions/s (baseline)", raw_per_s, "tx/s", "-", None))


if __name__ == "__main__":
    main()
