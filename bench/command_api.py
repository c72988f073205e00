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

wrk and the service share the machine's two cores with everything else: the CPU seconds of each are printed.

    .venv/bin/python bench/command_api.py [--calls 300] [--seconds 10] [--rate 200] [--ingest 500] [--profile DIR]

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

LUA_CALLBACK = """
local ids = {%(ids)s}
local token = "%(token)s"
local pause = %(pause)s
local n = 0
local threads = 0
setup = function(thread)
  thread:set("first", threads)
  threads = threads + 1
end
init = function(args)
  -- each of wrk's (two) threads starts half the list away from the other: two requests on one call at once would
  -- be a 409 (changed meanwhile); random starting points met now and then and turned hundreds of requests into 409s
  n = (first or 0) * math.floor(#ids / 2)
end
request = function()
  n = n + 1
  local id = ids[(n %% #ids) + 1]
  local body = '{"outcome":"not_reached","note":"no answer on the mobile; trying again this afternoon"}'
  return wrk.format("POST", "/calls/" .. id .. "/callback",
    {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}, body)
end
if pause > 0 then
  delay = function() return pause end
end
"""

LUA_READS = """
local expert = "%(expert)s"
local manager = "%(manager)s"
local pause = %(pause)s
local n = 0
request = function()
  n = n + 1
  if n %% 2 == 0 then
    return wrk.format("GET", "/queues/experts/me?limit=50", {["Authorization"] = "Bearer " .. expert})
  end
  return wrk.format("GET", "/queues/units/trade?limit=50", {["Authorization"] = "Bearer " .. manager})
end
delay = function() return pause end
"""


class Service:
    def __init__(self, data: Path):
        self.port = C.free_port()
        self.env = {
            **C.clean_crm_env(),
            "CRM_DATA_DIR": str(data),
            "CRM_CALLS_PORT": str(self.port),
            "CRM_RELAY_EMBEDDED": "false",
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
        http = None
        for _ in range(600):
            if self.proc.poll() is not None:
                raise RuntimeError(self.log.read_text()[-2000:])
            try:
                http = C.SyncHTTP("127.0.0.1", self.port, timeout=2)
                status, _ = http.get("/health", {})
                if status == 200:
                    return
            except OSError:
                pass
            finally:
                if http:
                    http.close()
            time.sleep(0.1)
        raise TimeoutError("calls service not up")

    def cpu_seconds(self) -> float:
        assert self.proc is not None
        with open(f"/proc/{self.proc.pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()


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


def create_calls(service: Service, telephony: str, n: int) -> list[str]:
    start = C.now_utc() - timedelta(hours=1)
    events, pbx = [], []
    for i in range(n):
        q, ab = C.abandoned_call(
            f"cmd-{i}", start + timedelta(seconds=5 * i), "602", C.mobile(__import__("random").Random(i))
        )
        events += [q, ab]
        pbx.append(f"cmd-{i}")
    for i in range(0, len(events), 200):
        status, body = post(service.port, "/telephony/events", telephony, events[i : i + 200])
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
        "2",
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
    errors = re.search(r"Socket errors:.*", out)
    return {
        "rate": rate,
        "p50": lat.get("50", float("nan")),
        "p99": lat.get("99", float("nan")),
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": errors.group(0) if errors else "",
        "wrk_cpu": (after.children_user - before.children_user) + (after.children_system - before.children_system),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "raw": out,
    }


def _per_request(run: dict) -> str:
    """The service's CPU per request of a phase: the figure that moves least with the machine's load."""
    return f"{1000 * run['svc_cpu'] / max(run['requests'], 1):.2f} ms/request"


def _ms(text: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s)", text)
    assert m, text
    value, unit = float(m.group(1)), m.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


class Ingest(threading.Thread):
    """Posts `rate` PBX events/s to the webhook: batches of 10 (5 abandoned calls) every 10/rate seconds."""

    def __init__(self, port: int, token: str, rate: float):
        super().__init__(daemon=True)
        self.port, self.token, self.rate = port, token, rate
        self.stop = threading.Event()
        self.posted = 0
        self.behind_max = 0.0
        self.errors = 0

    def run(self) -> None:
        import http.client

        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        period = 10 / self.rate
        start = time.monotonic()
        at = C.now_utc() - timedelta(minutes=30)
        i = 0
        while not self.stop.is_set():
            due = start + i * period
            now = time.monotonic()
            if due > now:
                self.stop.wait(due - now)
            else:
                self.behind_max = max(self.behind_max, now - due)
            events = []
            for k in range(5):
                q, ab = C.abandoned_call(f"load-{i}-{k}", at + timedelta(milliseconds=i * 10 + k), "602", "09131234567")
                events += [q, ab]
            conn.request("POST", "/telephony/events", body=json.dumps(events), headers=headers)
            r = conn.getresponse()
            r.read()
            if r.status == 200:
                self.posted += len(events)
            else:
                self.errors += 1
            i += 1
        conn.close()


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
    args = parser.parse_args()
    if not Path(WRK).exists():
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    tmp = Path(tempfile.mkdtemp(prefix="crm-bench-cmd-"))
    service = Service(tmp / "data")
    (tmp / "data").mkdir()
    try:
        telephony = service.crm("token", "create", "--role", "telephony", "--name", "bench-pbx")
        manager = service.crm("token", "create", "--role", "unit_manager", "--name", "f.alavi", "--unit", "trade")
        expert = service.crm("token", "create", "--role", "expert", "--name", "s.ahmadi", "--unit", "trade")
        service.start()
        ids = create_calls(service, telephony, args.calls)
        print(
            f"command_api: calls service on port {service.port}; {len(ids)} unanswered calls in unit trade; wrk {WRK}"
        )
        id_list = ",".join(f'"{i}"' for i in ids)

        assert service.proc is not None
        profile = Profile(args.profile, "capacity", service.proc.pid, args.seconds)
        cpu0 = service.cpu_seconds()
        cap = wrk(
            service.port,
            LUA_CALLBACK % {"ids": id_list, "token": manager, "pause": 0},
            args.connections,
            args.seconds,
            tmp,
        )
        cap["svc_cpu"] = service.cpu_seconds() - cpu0
        print(
            f"(a) callback, {args.connections} connections as fast as they go: {cap['rate']:,.0f} req/s; p50 "
            f"{cap['p50']:.1f} ms p99 {cap['p99']:.1f} ms; non-2xx {cap['non2xx']} {cap['socket_errors']}; CPU s: "
            f"service {cap['svc_cpu']:.1f} ({_per_request(cap)}), wrk {cap['wrk_cpu']:.1f}"
        )
        profile.report()

        conns = 10
        pause = int(conns * 1000 / args.rate)
        cpu0 = service.cpu_seconds()
        at = wrk(
            service.port, LUA_CALLBACK % {"ids": id_list, "token": manager, "pause": pause}, conns, args.seconds, tmp
        )
        at["svc_cpu"] = service.cpu_seconds() - cpu0
        print(
            f"(b) callback at ~{args.rate:g} req/s ({conns} connections, {pause} ms pause): {at['rate']:,.0f} req/s; "
            f"p50 {at['p50']:.1f} ms p99 {at['p99']:.1f} ms; non-2xx {at['non2xx']}; CPU s: service "
            f"{at['svc_cpu']:.1f} ({_per_request(at)}), wrk {at['wrk_cpu']:.1f}"
        )

        ingest = Ingest(service.port, telephony, args.ingest)
        ingest.start()
        time.sleep(1.0)
        profile = Profile(args.profile, "reads", service.proc.pid, args.seconds)
        posted0, t0 = ingest.posted, time.monotonic()
        cpu0 = service.cpu_seconds()
        reads = wrk(
            service.port, LUA_READS % {"expert": expert, "manager": manager, "pause": pause}, conns, args.seconds, tmp
        )
        reads["svc_cpu"] = service.cpu_seconds() - cpu0
        ingested = (ingest.posted - posted0) / (time.monotonic() - t0)
        ingest.stop.set()
        ingest.join(30)
        print(
            f"(c) queue reads at ~{args.rate:g} req/s while {ingested:,.0f} events/s were ingested (asked "
            f"{args.ingest:g}; at most {ingest.behind_max * 1000:.0f} ms behind, {ingest.errors} errors): "
            f"{reads['rate']:,.0f} req/s; p50 {reads['p50']:.1f} ms p99 {reads['p99']:.1f} ms; non-2xx "
            f"{reads['non2xx']}; CPU s: service {reads['svc_cpu']:.1f}, wrk {reads['wrk_cpu']:.1f}"
        )
        profile.report()
    finally:
        service.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    ok_cap = cap["rate"] >= 500 and cap["non2xx"] == 0
    print(C.result_line("command callback capacity", cap["rate"], "req/s", ">= 500", ok_cap))
    ok_at = at["p99"] <= 50 and at["non2xx"] == 0 and at["rate"] >= 0.9 * args.rate
    print(C.result_line(f"command callback p99 at {args.rate:g}/s", at["p99"], "ms", "<= 50", ok_at))
    ok_reads = reads["p99"] <= 50 and reads["non2xx"] == 0 and ingested >= 0.9 * args.ingest
    print(
        C.result_line(
            f"queue reads p99 at {args.rate:g}/s + {args.ingest:g} ev/s", reads["p99"], "ms", "<= 50", ok_reads
        )
    )
    print(
        C.result_line(
            "ingest kept up during reads", ingested, "events/s", f">= {args.ingest:g}", ingested >= 0.9 * args.ingest
        )
    )


if __name__ == "__main__":
    main()
