"""The staff's command and read APIs under load, driven by `wrk` (Debian's /usr/bin/wrk) with Lua scripts.

Starts the calls service alone (`crm serve calls`, its relay off: the API is what is measured) on a fresh SQLite
data folder, creates `--calls` unanswered calls in unit `trade` through the telephony webhook, then:

(a) capacity: `wrk` as fast as it can with `--connections` connections for `--seconds`, each request a unit
    manager recording a callback (`POST /calls/{id}/callback`, outcome not_reached, a note), spread over the calls.
    Target: >= 500 requests/s.
(b) latency at 200 requests/s: the same command, each connection pausing between requests (wrk's `delay()`) so
    that the whole runs at about `--rate` requests/s. Target: p99 <= 50 ms.
(c) reads under ingest: the personal queue (`GET /queues/experts/me`) and the unit list (`GET /queues/units/trade`)
    in turn at about 200 requests/s while a thread of this script posts 500 PBX events/s to the webhook (batches
    of 10 every 20 ms). Target: p99 <= 50 ms (the read-side figure of the same table), and the ingest kept up.

All of it twice by default (`--processes 1,2`): with the calls API in one process, and in two (CRM_CALLS_API_PROCESSES
=2, shared/processes.py: the primary and a replica of its API on the same port). The service's CPU seconds are
given per process.

wrk and the service share the machine's two cores with everything else: the CPU seconds of each are printed.

    .venv/bin/python bench/command_api.py [--calls 300] [--seconds 10] [--rate 200] [--ingest 500] [--processes 1,2]
                                          [--profile DIR]

`--profile DIR`: py-spy records the service during (a) and (c) (DIR/command_api-*.txt) and the script prints
where its time went.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

import _common as C  # noqa: I001 - puts the project on sys.path

PY = sys.executable
WRK = shutil.which("wrk") or "/usr/bin/wrk"

# Open-loop pacing for (b) and (c), as wrk2 does it: each wrk thread keeps a schedule of its own (rate / threads
# requests/s, the second thread half a slot after the first) in absolute times from CLOCK_MONOTONIC (LuaJIT's ffi;
# Debian's wrk is built on LuaJIT). A connection that has its answer takes the next slot and waits until it is due
# (wrk's `delay()`, whole milliseconds, rounded down); a slot that passed while every connection was busy is sent
# at once, and how late it went out is counted. wrk's Lua does not say which connection asks, so the slots are the
# thread's, not one schedule per connection: a slow answer on one connection never moves the others' requests.
# The connections' first requests (sent on connecting) take the first slots.
LUA_PACING = """
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } crm_timespec;
int clock_gettime(int clock, crm_timespec *tp);
]]
local ts = ffi.new("crm_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, ts)  -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end
local rate = %(rate)s  -- requests/s of the whole run; 0: as fast as the connections go
local wrk_threads = %(threads)d
local per_thread = math.max(1, math.floor(%(connections)d / wrk_threads))
local threads = {}
local interval, next_due = 0, 0
sent_late, late_max, late_sum, paced = 0, 0, 0, 0
setup = function(thread)
  thread:set("first", #threads)
  table.insert(threads, thread)
end
local function start_schedule()
  if rate <= 0 then return end
  interval = wrk_threads * 1000 / rate
  -- the connections' first requests took slots 0 .. per_thread - 1; the next delay() takes slot per_thread
  next_due = now_ms() + ((first or 0) / wrk_threads + per_thread - 1) * interval
end
if rate > 0 then
  delay = function()
    next_due = next_due + interval
    paced = paced + 1
    local wait = next_due - now_ms()
    if wait >= 0 then
      return wait
    end
    if wait < -1 then  -- sent more than a millisecond after its slot: every connection of the thread was busy
      sent_late = sent_late + 1
      late_sum = late_sum - wait
      if -wait > late_max then late_max = -wait end
    end
    return 0
  end
end
done = function(summary, latency, requests)
  for _, t in ipairs(threads) do
    io.write(string.format("PACING %%d %%d %%.3f %%.3f\\n", t:get("paced"), t:get("sent_late"), t:get("late_max"),
      t:get("late_sum")))
  end
end
"""

LUA_CALLBACK = (
    LUA_PACING
    + """
local ids = {%(ids)s}
local token = "%(token)s"
local n = 0
local share, base = #ids, 0
init = function(args)
  start_schedule()
  -- each of wrk's threads works through a share of the calls of its own, as each expert on their own calls: two
  -- requests on one call at once are a 409 (changed meanwhile). (Random starting points met now and then, and so
  -- did two halves of one list when one thread's connections were served faster than the other's, by the other
  -- process of the API: one thread caught up with the other.)
  share = math.floor(#ids / wrk_threads)
  base = (first or 0) * share
end
request = function()
  n = n + 1
  local id = ids[base + (n %% share) + 1]
  local body = '{"outcome":"not_reached","note":"no answer on the mobile; trying again this afternoon"}'
  return wrk.format("POST", "/calls/" .. id .. "/callback",
    {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}, body)
end
"""
)

LUA_READS = (
    LUA_PACING
    + """
local expert = "%(expert)s"
local manager = "%(manager)s"
local n = 0
init = function(args)
  start_schedule()
end
request = function()
  n = n + 1
  if n %% 2 == 0 then
    return wrk.format("GET", "/queues/experts/me?limit=50", {["Authorization"] = "Bearer " .. expert})
  end
  return wrk.format("GET", "/queues/units/%(unit)s?limit=50", {["Authorization"] = "Bearer " .. manager})
end
"""
)

WRK_THREADS = 2


class Service:
    def __init__(self, data: Path, processes: int = 1):
        self.port = C.free_port()
        self.processes = processes
        self.env = {
            **C.clean_crm_env(),
            "CRM_DATA_DIR": str(data),
            "CRM_CALLS_PORT": str(self.port),
            "CRM_RELAY_EMBEDDED": "false",
            "CRM_CALLS_API_PROCESSES": str(processes),
        }
        self.proc: subprocess.Popen | None = None
        self.log = data / "calls.out"

    def crm(self, *args: str) -> str:
        done = subprocess.run(
            [PY, "-m", "services.cli", *args], env=self.env, cwd=C.ROOT, capture_output=True, text=True, timeout=60
        )
        if done.returncode != 0:
            raise RuntimeError(f"crm {' '.join(args)}: {done.stderr.strip()[-500:]}")
        return done.stdout.strip().splitlines()[-1].strip()

    def start(self) -> None:
        out = open(self.log, "wb")  # noqa: SIM115 - handed to the child
        self.proc = subprocess.Popen(
            [PY, "-m", "services.cli", "serve", "calls"],
            env=self.env,
            cwd=C.ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        ready: set[int] = set()  # every process up before the load starts (C.health_pid says why)
        for _ in range(600):
            if self.proc.poll() is not None:
                raise RuntimeError(self.log.read_text()[-2000:])
            pid = C.health_pid(self.port)
            if pid is not None:
                ready.add(pid)
            if len(ready) >= self.processes:
                return
            time.sleep(0.05)
        raise TimeoutError("calls service not up")

    def cpu_seconds(self) -> float:
        """Of the service's process and of its API replicas (`--processes`)."""
        return sum(self.cpu_by_process().values())

    def cpu_by_process(self) -> dict[int, float]:
        assert self.proc is not None
        out = {}
        for pid in (self.proc.pid, *_children(self.proc.pid)):
            try:
                with open(f"/proc/{pid}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:  # a replica that has just exited
                continue
            out[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return out

    def split_since(self, before: dict[int, float]) -> str:
        """ " (primary 4.1 + replica 3.9)": each process's share of the CPU, when the API runs in several."""
        assert self.proc is not None
        now = self.cpu_by_process()
        if len(now) < 2:
            return ""
        parts = [
            f"{'primary' if pid == self.proc.pid else 'replica'} {cpu - before.get(pid, 0.0):.1f}"
            for pid, cpu in now.items()
        ]
        return f" ({' + '.join(parts)})"

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(p) for p in fh.read().split()]
    except OSError:
        return []


def post(port: int, path: str, token: str, body: object) -> tuple[int, bytes]:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(
            "POST",
            path,
            body=json.dumps(body),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def create_calls(port: int, telephony: str, n: int, queue: str = "602", tag: str = "cmd") -> list[str]:
    """`n` unanswered calls in the unit of PBX queue `queue`, posted to the calls service's webhook 100 at a time;
    their aggregate ids."""
    start = C.now_utc() - timedelta(hours=1)
    events, pbx = [], []
    for i in range(n):
        q, ab = C.abandoned_call(
            f"{tag}-{i}", start + timedelta(seconds=5 * i), queue, C.mobile(__import__("random").Random(i))
        )
        events += [q, ab]
        pbx.append(f"{tag}-{i}")
    for i in range(0, len(events), 200):
        status, body = post(port, "/telephony/events", telephony, events[i : i + 200])
        if status != 200:
            raise RuntimeError(f"ingest: {status} {body[:300]!r}")
    from services.calls.domain import call_id_for_pbx

    return [str(call_id_for_pbx(p)) for p in pbx]


def wrk(port: int, script: str, connections: int, seconds: float, tmp: Path) -> dict:
    lua = tmp / f"wrk-{time.monotonic_ns()}.lua"
    lua.write_text(script)
    cmd = [
        WRK,
        "-t",
        str(WRK_THREADS),
        "-c",
        str(connections),
        "-d",
        f"{seconds:g}s",
        "--latency",
        "-s",
        str(lua),
        f"http://127.0.0.1:{port}",
    ]
    before = os.times()
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    after = os.times()
    out = done.stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = {p: _ms(v) for p, v in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", out, re.M)}
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    pacing = [
        (int(a), int(b), float(c), float(d))
        for a, b, c, d in re.findall(r"^PACING (\d+) (\d+) (\S+) (\S+)$", out, re.M)
    ]
    late = sum(p[1] for p in pacing)
    errors = re.search(r"Socket errors:.*", out)
    return {
        "rate": rate,
        "p50": lat.get("50", float("nan")),
        "p99": lat.get("99", float("nan")),
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": errors.group(0) if errors else "",
        "wrk_cpu": (after.children_user - before.children_user) + (after.children_system - before.children_system),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        # open-loop runs: requests sent more than 1 ms after their slot, the latest and the mean of those
        "late": late,
        "late_max": max((p[2] for p in pacing), default=0.0),
        "late_mean": sum(p[3] for p in pacing) / late if late else 0.0,
        "raw": out,
    }


def _per_request(run: dict) -> str:
    """The service's CPU per request of a phase: the figure that moves least with the machine's load."""
    return f"{1000 * run['svc_cpu'] / max(run['requests'], 1):.2f} ms/request{run.get('svc_split', '')}"


def _late(run: dict) -> str:
    """How far an open-loop run kept to its schedule: the requests sent more than 1 ms after their slot."""
    if not run["late"]:
        return "all sent on time"
    return f"{run['late']} sent late (mean {run['late_mean']:.1f} ms, max {run['late_max']:.0f} ms)"


def _ms(text: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s)", text)
    assert m, text
    value, unit = float(m.group(1)), m.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


class Ingest:
    """Posts `rate` PBX events/s to the webhook in batches of 10 (5 abandoned calls), batch i due at start + i x
    10/rate s, open-loop: `connections` threads, each with a keep-alive connection of its own, take every
    connections-th batch, so that one slow POST delays only its thread's next batches, not the whole schedule (a
    single connection posting every 20 ms fell behind as soon as a POST took longer than that). Each thread counts
    how late its batches went out and its own CPU time (building, encoding and posting the batches)."""

    def __init__(self, port: int, token: str, rate: float, connections: int = 4):
        self.port, self.token, self.rate = port, token, rate
        self.stop = threading.Event()
        self.period = 10 / rate
        self.threads = [
            threading.Thread(target=self._run, args=(k, connections), daemon=True) for k in range(connections)
        ]
        self.lock = threading.Lock()
        self.posted = 0
        self.errors = 0
        self.behind_max = 0.0  # s: the latest a batch went out after its due time
        self.cpu = 0.0  # s of CPU of the posting threads, added as each one ends
        self.at = C.now_utc() - timedelta(minutes=30)
        self.start_time = 0.0

    def start(self) -> None:
        self.start_time = time.monotonic() + 0.05
        for t in self.threads:
            t.start()

    def join(self, timeout: float) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout)

    def _run(self, k: int, step: int) -> None:
        import http.client

        cpu0 = time.thread_time()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        i = k
        while not self.stop.is_set():
            due = self.start_time + i * self.period
            now = time.monotonic()
            if due > now:
                if self.stop.wait(due - now):
                    break
                behind = 0.0
            else:
                behind = now - due
            events = []
            for j in range(5):
                q, ab = C.abandoned_call(
                    f"load-{i}-{j}", self.at + timedelta(milliseconds=i * 10 + j), "602", "09131234567"
                )
                events += [q, ab]
            conn.request("POST", "/telephony/events", body=json.dumps(events), headers=headers)
            r = conn.getresponse()
            r.read()
            with self.lock:
                self.behind_max = max(self.behind_max, behind)
                if r.status == 200:
                    self.posted += len(events)
                else:
                    self.errors += 1
            i += step
        conn.close()
        with self.lock:
            self.cpu += time.thread_time() - cpu0


class Profile:
    """py-spy recording the service for one phase (`--profile`), summarised when the phase is over."""

    def __init__(self, folder: Path | None, name: str, pid: int, seconds: float):
        self.raw = folder / f"command_api-{name}.txt" if folder else None
        self.proc = None
        if self.raw is not None:
            self.raw.parent.mkdir(parents=True, exist_ok=True)
            cmd = C.py_spy_record(self.raw, pid=pid, seconds=seconds + 1, idle=False)
            self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(0.5)  # attached before the load starts

    def report(self) -> None:
        if self.proc is None or self.raw is None:
            return
        self.proc.wait(60)
        print(f"    py-spy profile of the service ({self.raw}):")
        print(C.profile_summary(self.raw, top=20))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=16, help="(a): connections of the capacity run")
    parser.add_argument("--rate", type=float, default=200.0, help="(b), (c): requests/s")
    parser.add_argument("--ingest", type=float, default=500.0, help="(c): PBX events/s posted meanwhile")
    parser.add_argument("--profile", type=Path, help="record the service with py-spy during (a) and (c) into DIR")
    parser.add_argument(
        "--processes",
        default="1,2",
        help="processes serving the calls API (CRM_CALLS_API_PROCESSES), each count measured in turn: 1,2",
    )
    args = parser.parse_args()
    if not Path(WRK).exists():
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    counts = [int(n) for n in args.processes.split(",") if n.strip()]
    for processes in counts:
        measure(args, processes, f", {processes} process{'es' if processes > 1 else ''}" if len(counts) > 1 else "")


def measure(args: argparse.Namespace, processes: int, label: str) -> None:
    """The phases on a calls service whose API runs in `processes` processes; `label` ends its figures' names."""
    tmp = Path(tempfile.mkdtemp(prefix="crm-bench-cmd-"))
    service = Service(tmp / "data", processes)
    (tmp / "data").mkdir()
    try:
        telephony = service.crm("token", "create", "--role", "telephony", "--name", "bench-pbx")
        manager = service.crm("token", "create", "--role", "unit_manager", "--name", "f.alavi", "--unit", "trade")
        expert = service.crm("token", "create", "--role", "expert", "--name", "s.ahmadi", "--unit", "trade")
        service.start()
        ids = create_calls(service.port, telephony, args.calls)
        print(
            f"command_api: calls service on port {service.port} ({processes} process(es)); {len(ids)} unanswered "
            f"calls in unit trade; wrk {WRK}"
        )
        id_list = ",".join(f'"{i}"' for i in ids)

        assert service.proc is not None
        profile = Profile(args.profile, f"capacity-{processes}", service.proc.pid, args.seconds)
        cpu0, split0 = service.cpu_seconds(), service.cpu_by_process()
        cap = wrk(
            service.port,
            LUA_CALLBACK
            % {"rate": 0, "threads": WRK_THREADS, "connections": args.connections, "ids": id_list, "token": manager},
            args.connections,
            args.seconds,
            tmp,
        )
        cap["svc_cpu"] = service.cpu_seconds() - cpu0
        cap["svc_split"] = service.split_since(split0)
        print(
            f"(a) callback, {args.connections} connections as fast as they go: {cap['rate']:,.0f} req/s; p50 "
            f"{cap['p50']:.1f} ms p99 {cap['p99']:.1f} ms; non-2xx {cap['non2xx']} {cap['socket_errors']}; CPU s: "
            f"service {cap['svc_cpu']:.1f} ({_per_request(cap)}), wrk {cap['wrk_cpu']:.1f}"
        )
        profile.report()

        conns = 10
        paced = {"rate": args.rate, "threads": WRK_THREADS, "connections": conns}
        cpu0, split0 = service.cpu_seconds(), service.cpu_by_process()
        at = wrk(service.port, LUA_CALLBACK % {**paced, "ids": id_list, "token": manager}, conns, args.seconds, tmp)
        at["svc_cpu"] = service.cpu_seconds() - cpu0
        at["svc_split"] = service.split_since(split0)
        print(
            f"(b) callback at {args.rate:g} req/s open-loop ({conns} connections): {at['rate']:,.0f} req/s; "
            f"p50 {at['p50']:.1f} ms p99 {at['p99']:.1f} ms; {_late(at)}; non-2xx {at['non2xx']}; CPU s: service "
            f"{at['svc_cpu']:.1f} ({_per_request(at)}), wrk {at['wrk_cpu']:.1f}"
        )

        reads_lua = LUA_READS % {**paced, "expert": expert, "manager": manager, "unit": "trade"}
        cpu0, split0 = service.cpu_seconds(), service.cpu_by_process()
        alone = wrk(service.port, reads_lua, conns, max(2.0, args.seconds / 2), tmp)
        alone["svc_cpu"] = service.cpu_seconds() - cpu0
        alone["svc_split"] = service.split_since(split0)
        print(
            f"(c0) queue reads alone at {args.rate:g} req/s open-loop: {alone['rate']:,.0f} req/s; p50 "
            f"{alone['p50']:.1f} ms p99 {alone['p99']:.1f} ms; {_late(alone)}; non-2xx {alone['non2xx']}; CPU s: "
            f"service {alone['svc_cpu']:.1f} ({_per_request(alone)})"
        )

        ingest = Ingest(service.port, telephony, args.ingest)
        ingest.start()
        time.sleep(1.0)
        profile = Profile(args.profile, f"reads-{processes}", service.proc.pid, args.seconds)
        posted0, t0 = ingest.posted, time.monotonic()
        cpu0, split0 = service.cpu_seconds(), service.cpu_by_process()
        reads = wrk(service.port, reads_lua, conns, args.seconds, tmp)
        reads["svc_cpu"] = service.cpu_seconds() - cpu0
        reads["svc_split"] = service.split_since(split0)
        t1 = time.monotonic()
        ingested = (ingest.posted - posted0) / (t1 - t0)
        # how far behind its schedule the ingest was when the reads ended: the batches due by then not yet posted
        due = int((t1 - ingest.start_time) / ingest.period) + 1
        lag = max(0, due - ingest.posted // 10) * ingest.period
        ingest.join(30)
        print(
            f"(c) queue reads at {args.rate:g} req/s open-loop while {ingested:,.0f} events/s were ingested (asked "
            f"{args.ingest:g} on {len(ingest.threads)} connections; a batch at most {ingest.behind_max * 1000:.0f} ms "
            f"late, {lag * 1000:.0f} ms behind at the end, {ingest.errors} errors; ingest client CPU "
            f"{ingest.cpu:.1f} s): {reads['rate']:,.0f} req/s; p50 {reads['p50']:.1f} ms p99 {reads['p99']:.1f} ms; "
            f"{_late(reads)}; non-2xx {reads['non2xx']}; CPU s: service {reads['svc_cpu']:.1f}{reads['svc_split']}, wrk "
            f"{reads['wrk_cpu']:.1f}"
        )
        profile.report()
    finally:
        service.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    ok_cap = cap["rate"] >= 500 and cap["non2xx"] == 0
    print(C.result_line(f"command callback capacity{label}", cap["rate"], "req/s", ">= 500", ok_cap))
    ok_at = at["p99"] <= 50 and at["non2xx"] == 0 and at["rate"] >= 0.9 * args.rate
    print(C.result_line(f"command callback p99 at {args.rate:g}/s{label}", at["p99"], "ms", "<= 50", ok_at))
    ok_reads = reads["p99"] <= 50 and reads["non2xx"] == 0 and ingested >= 0.9 * args.ingest
    print(
        C.result_line(
            f"queue reads p99 at {args.rate:g}/s + {args.ingest:g} ev/s{label}", reads["p99"], "ms", "<= 50", ok_reads
        )
    )
    print(
        C.result_line(
            f"ingest kept up during reads{label}",
            ingested,
            "events/s",
            f">= {args.ingest:g}",
            ingested >= 0.9 * args.ingest,
        )
    )


if __name__ == "__main__":
    main()
