"""The embedded default end to end: PBX webhook -> calls store -> relay -> Tansu -> faust processor -> read model
-> reporting API.

Starts the whole system with `crm run` (a subprocess, free ports, a temporary CRM_DATA_DIR), creates a telephony
token and an admin token with `crm token create`, then

(a) latency: posts single events at a steady pace (default 200 events/s; one call = `queued` then `abandoned`,
    which registers the call as unanswered for the queue's unit) and measures, per call, the time from posting the
    `abandoned` event until the call id appears in GET /reports/unanswered?unit=... . A dedicated poller thread
    fetches the lists every ~10 ms and records the first time each id is seen. Prints p50/p95/p99.
    Target: p99 <= 250 ms. The calls go to units of the bench's own, 25 calls each in turn (an organisation file
    passed as CRM_ORGANISATION_FILE: the default one plus those units), so that no polled list grows long: the
    cost of serving a long list is not what this measures, and on two cores it would slow everything else.
(a') the same while the staff read the calls service (`--read-load`, 200 requests/s by default): wrk asks a unit's
    list (300 unanswered calls, a page of 50) and its expert's personal queue in turn, open-loop, as
    bench/command_api.py's (c) does. Target: p99 <= 250 ms still.
(b) throughput: several concurrent clients post batches (default 100 events = 50 calls per request) for ~20 s;
    a second poller counts the unit's list every second. Prints the rate at which events were accepted and the
    sustained rate at which they became visible in the reporting API. Target: sustain 1,000 events/s.

The two phases use different units (their lists do not mix); throughput uses `trade` (queue 602). The system is stopped with SIGINT at the end,
always.

    .venv/bin/python bench/end_to_end.py [--duration 20] [--clients 4] [--batch 100]
                                         [--latency-rate 200] [--latency-seconds 10] [--phase both|latency|throughput]
                                         [--read-load 200]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import resource
import signal
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

CALLS_PER_LATENCY_UNIT = 25
THROUGHPUT_UNIT, THROUGHPUT_QUEUE = "trade", "602"
READ_LOAD_UNIT, READ_LOAD_QUEUE, READ_LOAD_CALLS = "legal", "604", 300
PROBE_UNIT, PROBE_QUEUE = "international", "603"


def latency_unit(i: int) -> tuple[str, str]:
    k = i // CALLS_PER_LATENCY_UNIT
    return f"bench_latency_{k:03d}", str(9000 + k)


def organisation_file(path: Path, latency_units: int) -> Path:
    """The default organisation plus `latency_units` units of the bench's own (unit bench_latency_NNN answers PBX
    queue 9000+NNN). Configuration only: the pipeline is the same; the latency poller's lists stay short."""
    from shared.settings import DEFAULT_ORGANISATION

    text = DEFAULT_ORGANISATION.read_text(encoding="utf-8")
    for k in range(latency_units):
        unit, queue = latency_unit(k * CALLS_PER_LATENCY_UNIT)
        text += f'\n[[units]]\nid = "{unit}"\nname = "Bench latency unit {k}"\nqueues = ["{queue}"]\n'
    path.write_text(text, encoding="utf-8")
    return path


# --- the system under test ------------------------------------------------------------------------------------


class System:
    def __init__(self, data_dir: Path, tick: float, extra_env: dict[str, str], code: Path = C.ROOT):
        self.data_dir = data_dir
        self.code = code  # the checkout whose services and shared packages run (its working directory)
        # A free port for every CRM_*_PORT setting there is (the broker, calls, reporting, processor, and whatever
        # service `crm run` starts besides), so that nothing collides with another system running on this machine.
        from shared.settings import Settings

        names = [n[: -len("_port")] for n in Settings.model_fields if n.endswith("_port") and n != "postgres_port"]
        # and the local mail server `crm run` starts as well (CRM_NOTIFICATIONS__SMTP_PORT, 8025 by default).
        *free, self.smtp_port = C.free_ports(len(names) + 1)
        self.ports = dict(zip(names, free, strict=True))
        broker = self.ports["broker"]
        self.env = {
            **C.clean_crm_env(),
            "CRM_DATA_DIR": str(data_dir),
            **{f"CRM_{name.upper()}_PORT": str(port) for name, port in self.ports.items()},
            "CRM_KAFKA_BOOTSTRAP": f"127.0.0.1:{broker}",
            "CRM_NOTIFICATIONS__SMTP_PORT": str(self.smtp_port),
            "CRM_PROCESSOR_TICK_SECONDS": str(tick),
            **extra_env,
        }
        calls, reporting, processor = self.ports["calls"], self.ports["reporting"], self.ports["processor"]
        self.calls_url = f"http://127.0.0.1:{calls}"
        self.reporting_url = f"http://127.0.0.1:{reporting}"
        self.processor_url = f"http://127.0.0.1:{processor}"
        self.proc: subprocess.Popen | None = None
        self.children: list[int] = []
        self.out_path = data_dir / "crm-run.out"

    def crm(self, *args: str) -> str:
        done = subprocess.run(
            [PY, "-m", "services.cli", *args], env=self.env, cwd=self.code, capture_output=True, text=True, timeout=60
        )
        if done.returncode != 0:
            raise RuntimeError(f"crm {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout.strip()

    def token(self, role: str, name: str, unit: str | None = None) -> str:
        extra = ["--unit", unit] if unit else []
        return self.crm("token", "create", "--role", role, "--name", name, *extra).splitlines()[-1].strip()

    def start(self, timeout: float = 120.0) -> float:
        started = time.monotonic()
        out = open(self.out_path, "wb")  # noqa: SIM115 - handed to the child
        self.proc = subprocess.Popen(
            [PY, "-m", "services.cli", "run"],
            env=self.env,
            cwd=self.code,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"crm run exited with {self.proc.returncode}:\n{self.out_path.read_text()[-3000:]}")
            if "The chamber's CRM is running" in self.out_path.read_text(errors="replace"):
                self._wait_for_calls_processes(deadline)
                self.children = _descendants(self.proc.pid)  # the services and their API replicas
                return time.monotonic() - started
            time.sleep(0.2)
        raise TimeoutError(f"crm run not up after {timeout:.0f}s:\n{self.out_path.read_text()[-3000:]}")

    def _wait_for_calls_processes(self, deadline: float) -> None:
        """With CRM_CALLS_API_PROCESSES above 1, until every process of the calls API has answered (C.health_pid)."""
        wanted = int(self.env.get("CRM_CALLS_API_PROCESSES") or 1)
        seen: set[int] = set()
        while wanted > 1 and len(seen) < wanted and time.monotonic() < deadline:
            pid = C.health_pid(self.ports["calls"])
            if pid is not None:
                seen.add(pid)
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=90)
            except subprocess.TimeoutExpired:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
        # Whatever `crm run` started and did not stop (it should have): by pid, nothing else.
        for pid in self.children:
            if _alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while any(_alive(p) for p in self.children) and time.monotonic() < deadline:
            time.sleep(0.1)
        for pid in self.children:
            if _alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)

    def rss_mb(self) -> dict[str, float]:
        out = {}
        for pid in self.children:
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                rss = int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
            except OSError:
                continue
            name = "broker" if "tansu" in cmd else cmd.split("services.cli", 1)[-1].strip()
            out[name] = rss
        return out

    def cpu_seconds(self) -> dict[str, float]:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        out = {"bench client": usage.ru_utime + usage.ru_stime}
        tick = os.sysconf("SC_CLK_TCK")
        for pid in self.children:
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                cpu = (int(fields[11]) + int(fields[12])) / tick
            except OSError:
                continue
            name = "broker" if "tansu" in cmd else cmd.split("services.cli", 1)[-1].strip()
            out[name] = cpu
        return out


def _cpu_delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {k: after[k] - before.get(k, 0.0) for k in after}


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _descendants(pid: int) -> list[int]:
    return [d for c in _children(pid) for d in (c, *_descendants(c))]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child of an exited parent is not alive
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


# --- pollers --------------------------------------------------------------------------------------------------


class FirstSeenPoller(threading.Thread):
    """Fetches the unanswered list of every unit that has calls posted but not yet seen, every `interval` s, and
    records when each call id is first seen (the time the response arrived: never earlier than the truth)."""

    def __init__(self, address: tuple[str, int], token: str, interval: float, max_seconds: float):
        super().__init__(daemon=True)
        self.address = address
        self.path = "/reports/unanswered"
        self.headers = {"Authorization": f"Bearer {token}"}
        self.interval = interval
        self.max_seconds = max_seconds
        self.lock = threading.Lock()
        self.outstanding: dict[str, set[str]] = {}  # unit -> call ids posted and not yet seen
        self.first_seen: dict[str, float] = {}
        self.get_times: list[float] = []
        self.list_sizes: list[int] = []
        self.errors = 0
        self.stop_event = threading.Event()

    def expect(self, unit: str, call_id: str) -> None:
        with self.lock:
            self.outstanding.setdefault(unit, set()).add(call_id)

    def pending(self) -> int:
        with self.lock:
            return sum(len(ids) for ids in self.outstanding.values())

    def run(self) -> None:
        deadline = time.monotonic() + self.max_seconds
        client = C.SyncHTTP(*self.address)
        try:
            while not self.stop_event.is_set() and time.monotonic() < deadline:
                cycle = time.perf_counter()
                with self.lock:
                    units = [u for u, ids in self.outstanding.items() if ids]
                for unit in units:
                    sent = time.perf_counter()
                    try:
                        # The list pages (100 by default): ask for the largest page, as the list stays under it here.
                        status, body = client.get(f"{self.path}?unit={unit}&limit=1000", self.headers)
                        if status != 200:
                            raise ValueError(status)
                        items = json.loads(body)
                    except (OSError, ValueError):
                        self.errors += 1
                        time.sleep(0.05)
                        continue
                    received = time.perf_counter()
                    self.get_times.append(received - sent)
                    self.list_sizes.append(len(items))
                    with self.lock:
                        waiting = self.outstanding[unit]
                        for item in items:
                            if item["call_id"] in waiting:
                                waiting.discard(item["call_id"])
                                self.first_seen[item["call_id"]] = received
                left = self.interval - (time.perf_counter() - cycle)
                if left > 0:
                    time.sleep(left)
        finally:
            client.close()


class CountPoller(threading.Thread):
    """Counts a unit's unanswered list every `interval` s: (time, count, GET seconds) samples."""

    def __init__(self, url: str, unit: str, token: str, interval: float, max_seconds: float):
        super().__init__(daemon=True)
        self.url = f"{url}/reports/unanswered"
        # One item per request: the total comes in the X-Total-Count header, as a client counting the list would read it.
        self.params = {"unit": unit, "limit": 1}
        self.headers = {"Authorization": f"Bearer {token}"}
        self.interval = interval
        self.max_seconds = max_seconds
        self.samples: list[tuple[float, int, float]] = []
        self.errors = 0
        self.stop_event = threading.Event()

    def run(self) -> None:
        deadline = time.monotonic() + self.max_seconds
        with httpx.Client(timeout=60.0) as client:
            while not self.stop_event.is_set() and time.monotonic() < deadline:
                sent = time.perf_counter()
                try:
                    r = client.get(self.url, params=self.params, headers=self.headers)
                    r.raise_for_status()
                    count = int(r.headers["X-Total-Count"])
                except (httpx.HTTPError, ValueError):
                    self.errors += 1
                    time.sleep(0.2)
                    continue
                received = time.perf_counter()
                self.samples.append((received, count, received - sent))
                left = self.interval - (time.perf_counter() - sent)
                if left > 0:
                    self.stop_event.wait(left)

    def latest(self) -> int:
        return self.samples[-1][1] if self.samples else 0


# --- phases ---------------------------------------------------------------------------------------------------


def wait_visible(system: System, admin: str, telephony: str, timeout: float = 90.0) -> float:
    """Posts one abandoned call and waits until the reporting API shows it: the cold path (group join etc.)."""
    call_id = f"probe-{random.randrange(1 << 30)}"
    q, a = C.abandoned_call(call_id, C.now_utc() - timedelta(minutes=1), PROBE_QUEUE, "09131112233")
    headers = {"Authorization": f"Bearer {telephony}"}
    started = time.perf_counter()
    with httpx.Client(timeout=30.0) as client:
        for body in (q, a):
            r = client.post(f"{system.calls_url}/telephony/events", json=body, headers=headers)
            r.raise_for_status()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r = client.get(
                f"{system.reporting_url}/reports/unanswered",
                params={"unit": PROBE_UNIT},
                headers={"Authorization": f"Bearer {admin}"},
            )
            if r.status_code == 200 and any(i["call_id"] for i in r.json()):
                return time.perf_counter() - started
            time.sleep(0.1)
    raise TimeoutError(f"the probe call was not visible in the reporting API after {timeout:.0f}s")


async def _post(client: C.RawHTTP, path: str, body: bytes, headers: dict) -> bytes:
    status, data = await client.request("POST", path, body, headers)
    if status != 200:
        raise RuntimeError(f"POST {path}: {status} {data[:300]!r}")
    return data


async def latency_phase(system: System, telephony: str, rate: float, seconds: float, poller: FirstSeenPoller) -> dict:
    """Paced single events: call i's `queued` at t0 + 2i/rate, its `abandoned` at t0 + (2i+1)/rate; the calls go to
    the bench's latency units in turn, CALLS_PER_LATENCY_UNIT each, so that no polled list grows long."""
    n_calls = int(rate * seconds / 2)
    path = "/telephony/events"
    headers = {"Authorization": f"Bearer {telephony}"}
    at0 = C.now_utc() - timedelta(minutes=5)
    posted_abandoned: dict[str, float] = {}
    post_times: list[float] = []
    late: list[float] = []
    # The reporting service shows the call's aggregate id; compute it the way the calls service does.
    from services.calls.domain import call_id_for_pbx

    run_tag = random.randrange(1 << 30)
    prepared = []  # everything a call needs, made before the clock starts
    for i in range(n_calls):
        pbx_id = f"lat-{run_tag}-{i}"
        unit, queue = latency_unit(i)
        q, a = C.abandoned_call(pbx_id, at0 + timedelta(milliseconds=10 * i), queue, C.mobile(random.Random(i)))
        prepared.append((unit, str(call_id_for_pbx(pbx_id)), json.dumps(q).encode(), json.dumps(a).encode()))

    async def one_call(i: int, client: C.RawHTTP, t_q: float, t_a: float) -> None:
        unit, call_id, q, a = prepared[i]
        sent = time.perf_counter()
        await _post(client, path, q, headers)
        post_times.append(time.perf_counter() - sent)
        now = time.perf_counter()
        if t_a > now:
            await asyncio.sleep(t_a - now)
        else:
            late.append(now - t_a)
        poller.expect(unit, call_id)
        sent = time.perf_counter()
        posted_abandoned[call_id] = sent
        await _post(client, path, a, headers)
        post_times.append(time.perf_counter() - sent)

    client = C.RawHTTP("127.0.0.1", system.ports["calls"], max_connections=64)
    try:
        # open a few connections first so that the first calls do not pay for TCP set-up
        await asyncio.gather(*(client.request("GET", "/health") for _ in range(8)))
        tasks = []
        t0 = time.perf_counter() + 0.2
        period = 2.0 / rate
        for i in range(n_calls):
            t_q = t0 + i * period
            delay = t_q - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one_call(i, client, t_q, t_q + period / 2)))
        await asyncio.gather(*tasks)
        posting_s = time.perf_counter() - t0
    finally:
        await client.close()
    return {
        "n_calls": n_calls,
        "posted": posted_abandoned,
        "post_times": post_times,
        "posting_s": posting_s,
        "late": late,
    }


async def throughput_phase(system: System, telephony: str, clients: int, batch: int, duration: float) -> dict:
    path = "/telephony/events"
    headers = {"Authorization": f"Bearer {telephony}"}
    at0 = C.now_utc() - timedelta(hours=1)
    tag = random.randrange(1 << 30)
    counter = {"calls": 0, "events": 0, "requests": 0}
    request_times: list[float] = []
    calls_per_batch = batch // 2
    stop_at = time.perf_counter() + duration

    async def worker(w: int, client: C.RawHTTP) -> None:
        rng = random.Random(w)
        k = 0
        while time.perf_counter() < stop_at:
            body = []
            for j in range(calls_per_batch):
                pbx_id = f"thr-{tag}-{w}-{k}-{j}"
                body.extend(
                    C.abandoned_call(pbx_id, at0 + timedelta(milliseconds=k * 50 + j), THROUGHPUT_QUEUE, C.mobile(rng))
                )
            sent = time.perf_counter()
            data = await _post(client, path, json.dumps(body).encode(), headers)
            request_times.append(time.perf_counter() - sent)
            out = json.loads(data)
            if out["applied"] != len(body):
                raise RuntimeError(
                    f"batch not fully applied: { ({k: out[k] for k in ('applied', 'duplicate', 'ignored', 'rejected')}) }"
                )
            counter["calls"] += calls_per_batch
            counter["events"] += len(body)
            counter["requests"] += 1
            k += 1

    client = C.RawHTTP("127.0.0.1", system.ports["calls"], max_connections=clients)
    try:
        started = time.perf_counter()
        await asyncio.gather(*(worker(w, client) for w in range(clients)))
        ended = time.perf_counter()
    finally:
        await client.close()
    return {**counter, "started": started, "ended": ended, "request_times": request_times}


def slope(samples: list[tuple[float, int]]) -> float:
    """Least-squares slope (per second) of count over time."""
    if len(samples) < 2:
        return float("nan")
    n = len(samples)
    mt = sum(t for t, _ in samples) / n
    mc = sum(c for _, c in samples) / n
    den = sum((t - mt) ** 2 for t, _ in samples)
    return sum((t - mt) * (c - mc) for t, c in samples) / den if den else float("nan")


# --- main -----------------------------------------------------------------------------------------------------


class ReadLoad(threading.Thread):
    """The staff's read load of bench/command_api.py's (c) on the calls service while the latency phase posts: wrk
    asking a unit's list and its expert's personal queue in turn, open-loop at `rate` requests/s. The unit (legal,
    queue 604) holds READ_LOAD_CALLS unanswered calls first, so that its list is a page of 50 out of hundreds."""

    def __init__(self, system: System, telephony: str, rate: float, seconds: float):
        super().__init__(daemon=True)
        import command_api as CA  # the wrk scripts and their reading, shared with the command bench

        self.ca, self.system, self.seconds = CA, system, seconds
        CA.create_calls(system.ports["calls"], telephony, READ_LOAD_CALLS, READ_LOAD_QUEUE, tag="read")
        paced = {"rate": rate, "threads": CA.WRK_THREADS, "connections": 10}
        manager = system.token("unit_manager", "d.kazemi", READ_LOAD_UNIT)
        expert = system.token("expert", "e.shahbazi", READ_LOAD_UNIT)
        self.script = CA.LUA_READS % {**paced, "expert": expert, "manager": manager, "unit": READ_LOAD_UNIT}
        self.result: dict | None = None

    def run(self) -> None:
        self.result = self.ca.wrk(self.system.ports["calls"], self.script, 10, self.seconds, self.system.data_dir)


def run_latency(system: System, admin: str, telephony: str, args, reads: ReadLoad | None = None) -> dict:
    poller = FirstSeenPoller(
        ("127.0.0.1", system.ports["reporting"]), admin, args.poll_interval, args.latency_seconds + 120
    )
    poller.start()
    if reads is not None:
        reads.start()
        time.sleep(1.0)  # the read load going before the first post
    cpu_before = system.cpu_seconds()
    try:
        out = asyncio.run(latency_phase(system, telephony, args.latency_rate, args.latency_seconds, poller))
        cpu = _cpu_delta(cpu_before, system.cpu_seconds())
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and poller.pending():
            time.sleep(0.05)
    finally:
        poller.stop_event.set()
        poller.join(timeout=15)
    lat = [(poller.first_seen[cid] - t) * 1000 for cid, t in out["posted"].items() if cid in poller.first_seen]
    missing = len(out["posted"]) - len(lat)
    gets = [g * 1000 for g in poller.get_times]
    posts = [p * 1000 for p in out["post_times"]]
    achieved = 2 * out["n_calls"] / out["posting_s"]
    if reads is not None:
        reads.join(args.latency_seconds + 90)
    label = "(a') latency under the staff's read load" if reads is not None else "(a) latency"
    print(
        f"\n{label}: {out['n_calls']} calls ({2 * out['n_calls']} events) posted at {achieved:.0f} events/s "
        f"(asked {args.latency_rate:.0f}); {len(out['late'])} abandoned posts started late (max {max(out['late'], default=0) * 1000:.0f} ms)"
    )
    print(f"  POST /telephony/events (single): p50 {C.median(posts):.1f} ms  p99 {C.percentile(posts, 99):.1f} ms")
    print(
        f"  poller: {len(gets)} GETs (lists of {C.median(poller.list_sizes):.0f} items at the median, "
        f"{max(poller.list_sizes, default=0)} at most), a round every {args.poll_interval * 1000:.0f} ms asked; "
        f"GET p50 {C.median(gets):.1f} ms  p99 {C.percentile(gets, 99):.1f} ms (the resolution of what follows); errors {poller.errors}"
    )
    p50, p95, p99 = (C.percentile(lat, p) for p in (50, 95, 99))
    print(
        f"  post(abandoned) -> visible in /reports/unanswered: p50 {p50:.0f} ms  p95 {p95:.0f} ms  p99 {p99:.0f} ms  "
        f"max {max(lat, default=float('nan')):.0f} ms  ({len(lat)} measured, {missing} never seen)"
    )
    print(
        f"  CPU seconds used in {out['posting_s']:.1f}s of posting: "
        + ", ".join(f"{k} {v:.1f}" for k, v in sorted(cpu.items()))
    )
    if reads is not None and reads.result is not None:
        w = reads.result
        print(
            f"  the read load meanwhile (wrk, queue {READ_LOAD_UNIT} and its expert's, open-loop at {args.read_load:g} "
            f"req/s): {w['rate']:,.0f} req/s; p50 {w['p50']:.1f} ms p99 {w['p99']:.1f} ms; "
            f"{reads.ca._late(w)}; non-2xx {w['non2xx']}; wrk CPU {w['wrk_cpu']:.1f} s"
        )
    return {"p50": p50, "p95": p95, "p99": p99, "missing": missing, "achieved": achieved}


def run_throughput(system: System, admin: str, telephony: str, args) -> dict:
    counter = CountPoller(
        system.reporting_url, THROUGHPUT_UNIT, admin, args.count_interval, args.duration + args.drain + 30
    )
    counter.start()
    cpu_before = system.cpu_seconds()
    try:
        out = asyncio.run(throughput_phase(system, telephony, args.clients, args.batch, args.duration))
        cpu_after_post = system.cpu_seconds()
        deadline = time.monotonic() + args.drain
        while time.monotonic() < deadline and counter.latest() < out["calls"]:
            time.sleep(0.2)
    finally:
        counter.stop_event.set()
        counter.join(timeout=70)
    samples = counter.samples
    s0, s1 = out["started"], out["ended"]
    accepted = out["events"] / (s1 - s0)
    # Sustained visibility: slope of the visible count while posting, leaving out the first quarter (start-up).
    window = [(t, c) for t, c, _ in samples if s0 + 0.25 * (s1 - s0) <= t <= s1]
    sustained_calls = slope(window)
    done = next((t for t, c, _ in samples if c >= out["calls"]), None)
    overall_calls = out["calls"] / (done - s0) if done else float("nan")
    req = [r * 1000 for r in out["request_times"]]
    gets = [g * 1000 for _, _, g in samples]
    print(
        f"\n(b) throughput: {args.clients} clients x batches of {args.batch} events for {s1 - s0:.1f}s: {out['events']} events "
        f"({out['calls']} calls) accepted, {accepted:.0f} events/s"
    )
    print(
        f"  POST batch: p50 {C.median(req):.0f} ms  p99 {C.percentile(req, 99):.0f} ms; count GETs p50 {C.median(gets):.0f} ms  "
        f"max {max(gets, default=0):.0f} ms"
    )
    print(
        "  visible over time (s since start: calls visible):  "
        + "  ".join(f"{t - s0:.0f}:{c}" for t, c, _ in samples[:: max(1, len(samples) // 14)])
    )
    if done:
        print(
            f"  all {out['calls']} calls visible {done - s1:.1f}s after posting stopped; overall {2 * overall_calls:.0f} events/s "
            "from first post to last visible"
        )
    else:
        print(f"  NOT all visible after {args.drain:.0f}s of draining: {counter.latest()} of {out['calls']} calls")
    print(
        f"  sustained visible rate while posting (slope, after the first quarter): {2 * sustained_calls:.0f} events/s "
        f"({sustained_calls:.0f} calls/s)"
    )
    cpu = _cpu_delta(cpu_before, cpu_after_post)
    print("  CPU seconds used while posting: " + ", ".join(f"{k} {v:.1f}" for k, v in sorted(cpu.items())))
    return {
        "accepted": accepted,
        "sustained": 2 * sustained_calls,
        "overall": 2 * overall_calls,
        "all_visible": bool(done),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--phase", choices=["both", "latency", "throughput"], default="both")
    parser.add_argument("--duration", type=float, default=20.0, help="throughput: seconds of posting")
    parser.add_argument("--clients", type=int, default=4, help="throughput: concurrent clients")
    parser.add_argument("--batch", type=int, default=100, help="throughput: events per request (even)")
    parser.add_argument("--drain", type=float, default=60.0, help="throughput: wait at most this long for the rest")
    parser.add_argument("--count-interval", type=float, default=1.0, help="throughput: seconds between counts")
    parser.add_argument("--latency-rate", type=float, default=200.0, help="latency: events/s (2 per call)")
    parser.add_argument("--latency-seconds", type=float, default=10.0)
    parser.add_argument("--poll-interval", type=float, default=0.01, help="latency: seconds between GETs")
    parser.add_argument(
        "--read-load",
        type=float,
        default=200.0,
        help="latency: the phase again while wrk reads a unit's list and its expert's queue at this many requests/s "
        "(bench/command_api.py's reads); 0: not",
    )
    parser.add_argument("--tick", type=float, default=2.0, help="CRM_PROCESSOR_TICK_SECONDS")
    parser.add_argument("--keep", action="store_true", help="keep the data folder (logs) and print where it is")
    parser.add_argument(
        "--start-timeout", type=float, default=120.0, help="seconds for `crm run` to be up (longer on a loaded machine)"
    )
    parser.add_argument("--set", action="append", default=[], metavar="CRM_X=V", help="extra environment for crm run")
    parser.add_argument(
        "--code",
        type=Path,
        default=C.ROOT,
        help="run the system from this checkout (a directory with services/ and shared/), e.g. to compare "
        "the code before and after a change; default: this one",
    )
    parser.add_argument(
        "--store",
        choices=["sqlite", "postgres", "both"],
        default="both",
        help="the event stores and side databases: SQLite files (the embedded default) or PostgreSQL schemas (the "
        "deployment mode), each run in turn on the same machine",
    )
    args = parser.parse_args()
    stores = ["sqlite", "postgres"] if args.store == "both" else [args.store]
    for store in stores:
        run_store(store, args)


def postgres_env(prefix: str) -> dict[str, str]:
    """The system on PostgreSQL: every service's store and side database in schemas `<prefix><name>`."""
    return {
        "CRM_STORE": "postgres",
        "CRM_POSTGRES_HOST": C.PG["postgres_host"],
        "CRM_POSTGRES_PORT": str(C.PG["postgres_port"]),
        "CRM_POSTGRES_USER": C.PG["postgres_user"],
        "CRM_POSTGRES_DBNAME": C.PG["postgres_dbname"],
        "CRM_POSTGRES_SCHEMA_PREFIX": prefix,
        # The PostgreSQL server is shared (max_connections 100, most held by others): each event store keeps one
        # connection open and opens at most three more under load, instead of eventsourcing's 5 + 10.
        "POSTGRES_POOL_SIZE": "1",
        "POSTGRES_MAX_OVERFLOW": "3",
    }


def drop_schemas(prefix: str) -> None:
    import psycopg

    params = {k.removeprefix("postgres_"): v for k, v in C.PG.items()}
    with psycopg.connect(**params, autocommit=True) as con:
        names = [
            r[0]
            for r in con.execute(
                "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, %s)", (prefix,)
            ).fetchall()
        ]
        for name in names:
            con.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def run_store(store: str, args) -> None:
    extra = dict(s.split("=", 1) for s in args.set)
    prefix = f"e2e{uuid.uuid4().hex[:8]}_"
    if store == "postgres":
        extra = {**postgres_env(prefix), **extra}
    print(f"\n=== end_to_end on {store} stores")

    tmp = tempfile.mkdtemp(prefix="crm-bench-e2e-")
    n_latency_calls = int(args.latency_rate * args.latency_seconds / 2)
    org = organisation_file(Path(tmp) / "organisation.toml", n_latency_calls // CALLS_PER_LATENCY_UNIT + 1)
    extra.setdefault("CRM_ORGANISATION_FILE", str(org))
    system = System(Path(tmp) / "data", args.tick, extra, args.code.resolve())
    system.data_dir.mkdir(parents=True)
    results: dict = {}
    try:
        telephony = system.token("telephony", "bench-pbx")
        admin = system.token("admin", "bench-admin")
        up = system.start(args.start_timeout)
        print(
            f"end_to_end: crm run (code {system.code}) up in {up:.1f}s (ports {system.ports}); data {system.data_dir}"
        )
        cold = wait_visible(system, admin, telephony)
        print(f"  first call visible in the reporting API {cold:.1f}s after posting (cold: consumer group join)")
        if args.phase in ("both", "latency"):
            results["latency"] = run_latency(system, admin, telephony, args)
            if args.read_load > 0:
                reads = ReadLoad(system, telephony, args.read_load, args.latency_seconds + 3)
                results["loaded"] = run_latency(system, admin, telephony, args, reads)
        if args.phase in ("both", "throughput"):
            results["throughput"] = run_throughput(system, admin, telephony, args)
        print("  memory (RSS MB): " + ", ".join(f"{k} {v:.0f}" for k, v in sorted(system.rss_mb().items())))
    finally:
        system.stop()
        code = system.proc.returncode if system.proc else None
        print(f"  crm run stopped (exit code {code})")
        if args.keep:
            print(f"  kept: {tmp}")
        else:
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)
        if store == "postgres" and not args.keep:
            drop_schemas(prefix)
    if "latency" in results:
        r = results["latency"]
        print(C.result_line(f"e2e {store} latency p50", r["p50"], "ms", "-", None))
        print(C.result_line(f"e2e {store} latency p95", r["p95"], "ms", "-", None))
        print(
            C.result_line(f"e2e {store} latency p99", r["p99"], "ms", "<= 250", r["p99"] <= 250 and r["missing"] == 0)
        )
    if "loaded" in results:
        r = results["loaded"]
        print(
            C.result_line(
                f"e2e {store} latency p99 under the read load",
                r["p99"],
                "ms",
                "<= 250",
                r["p99"] <= 250 and r["missing"] == 0,
            )
        )
    if "throughput" in results:
        r = results["throughput"]
        print(C.result_line(f"e2e {store} accepted events/s", r["accepted"], "events/s", "-", None))
        print(
            C.result_line(
                f"e2e {store} sustained visible events/s", r["sustained"], "events/s", ">= 1000", r["sustained"] >= 1000
            )
        )
        print(
            C.result_line(
                f"e2e {store} overall visible events/s",
                r["overall"],
                "events/s",
                ">= 1000",
                r["overall"] >= 1000 if r["all_visible"] else False,
            )
        )


if __name__ == "__main__":
    main()
