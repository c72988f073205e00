"""Helpers shared by the benchmark scripts (not a benchmark itself)."""

from __future__ import annotations

import json
import os
import random
import socket
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

# The checkout whose code is measured: this one, or another (with services/ and shared/) named by CRM_BENCH_CODE,
# to compare the code before and after a change with the same benchmark.
ROOT = Path(os.environ.get("CRM_BENCH_CODE") or Path(__file__).resolve().parent.parent).resolve()
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Queues of shared/organisation.default.toml: 601 membership, 602 trade, 603 international, 604 legal; 700 is
# member relations.
UNIT_QUEUES = {"membership": "601", "trade": "602", "international": "603", "legal": "604"}
MR_QUEUE = "700"
EXTENSIONS = ["201", "202", "203", "204", "205", "206"]

PG = dict(postgres_dbname="test", postgres_user="postgres", postgres_host="127.0.0.1", postgres_port=5432)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_ports(n: int) -> list[int]:
    """n distinct free ports (kept bound together while choosing, so they differ)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def clean_crm_env() -> dict[str, str]:
    """The process environment without any CRM_* setting inherited from the caller's shell."""
    return {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}


def mobile(rng: random.Random) -> str:
    return "0913" + "".join(rng.choice("0123456789") for _ in range(7))


def call_event(event_id: str, call_id: str, kind: str, at: datetime, **extra) -> dict:
    """A canonical webhook event (CallEventIn) as JSON."""
    body = {"event_id": event_id, "call_id": call_id, "type": kind, "at": at.isoformat()}
    body.update({k: v for k, v in extra.items() if v is not None})
    return body


def realistic_call(rng: random.Random, call_id: str, start: datetime) -> list[dict]:
    """One incoming call as the PBX reports it, each event changing the call by exactly one domain event.

    Two paths, as on a normal day: answered by the unit (ringing, queued, an expert missed, answered, completed)
    or not answered by the unit and picked up by member relations (ringing, queued, queue timeout, queued at
    member relations, answered, completed).
    """
    unit_queue = rng.choice(list(UNIT_QUEUES.values()))
    caller = mobile(rng)
    t = start
    events = [call_event(f"{call_id}-ring", call_id, "ringing", t, caller=caller, callee="03136645000")]
    t += timedelta(seconds=2)
    events.append(call_event(f"{call_id}-q1", call_id, "queued", t, caller=caller, queue=unit_queue))
    if rng.random() < 0.7:
        t += timedelta(seconds=15)
        events.append(
            call_event(
                f"{call_id}-miss", call_id, "agent_missed", t, queue=unit_queue, extension=rng.choice(EXTENSIONS)
            )
        )
        t += timedelta(seconds=10)
        events.append(
            call_event(
                f"{call_id}-ans",
                call_id,
                "answered",
                t,
                queue=unit_queue,
                extension=rng.choice(EXTENSIONS),
                wait_seconds=25,
            )
        )
    else:
        t += timedelta(seconds=40)
        events.append(call_event(f"{call_id}-tmo", call_id, "queue_timeout", t, queue=unit_queue))
        t += timedelta(seconds=1)
        events.append(call_event(f"{call_id}-q2", call_id, "queued", t, caller=caller, queue=MR_QUEUE))
        t += timedelta(seconds=8)
        events.append(
            call_event(
                f"{call_id}-ans",
                call_id,
                "answered",
                t,
                queue=MR_QUEUE,
                extension=rng.choice(EXTENSIONS),
                wait_seconds=8,
            )
        )
    t += timedelta(seconds=rng.randint(30, 400))
    events.append(call_event(f"{call_id}-done", call_id, "completed", t, talk_seconds=int((t - start).total_seconds())))
    return events


def abandoned_call(call_id: str, at: datetime, queue: str, caller: str) -> tuple[dict, dict]:
    """queued + abandoned: the call is registered unanswered for the queue's unit (two events)."""
    return (
        call_event(f"{call_id}-q", call_id, "queued", at, caller=caller, queue=queue),
        call_event(
            f"{call_id}-ab",
            call_id,
            "abandoned",
            at + timedelta(seconds=30),
            caller=caller,
            queue=queue,
            wait_seconds=30,
        ),
    )


def end_of_day_entry(call_id: str, n: int) -> dict:
    """One unanswered call of a unit's end-of-day list, as the reporting processor writes it (caller n's number)."""
    return {
        "call_id": call_id,
        "caller": f"+98913{n:07d}",
        "contact_phone": f"+98913{n:07d}",
        "contact_name": "Ali Karimi",
        "member_id": None,
        "subject": "export permit",
        "expert": None,
        "registered_at": "2026-11-21T07:00:00+00:00",
        "callback_due": "2026-11-22T07:00:00+00:00",
        "callback_due_local": "1405/09/01 10:30",
        "automatic": True,
    }


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def now_utc() -> datetime:
    return datetime.now(UTC)


def result_line(name: str, value: float, unit: str, target: str, ok: bool | None) -> str:
    """A machine-readable line `run_all.py` collects: RESULT|name|value|unit|target|met."""
    met = "-" if ok is None else ("yes" if ok else "NO")
    return f"RESULT|{name}|{value:.4g}|{unit}|{target}|{met}"


class RawHTTP:
    """A small keep-alive HTTP/1.1 client on asyncio streams, for the load generators.

    On a two-core machine the load generator competes with the system it measures: httpx spends a few
    milliseconds of CPU per request, this a fraction of one. Enough HTTP for JSON requests to our own services.
    """

    IDLE_SECONDS = 2.0  # uvicorn closes a connection idle for 5 s; never reuse one near that

    def __init__(self, host: str, port: int, max_connections: int = 64):
        self.host, self.port = host, port
        self._idle: list[tuple] = []
        self._sem = None
        self.max_connections = max_connections

    async def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        import asyncio

        if self._sem is None:
            self._sem = asyncio.Semaphore(self.max_connections)
        async with self._sem:
            for attempt in range(2):
                conn = None
                while self._idle and conn is None:
                    reader, writer, used = self._idle.pop()
                    if time.monotonic() - used < self.IDLE_SECONDS:
                        conn = (reader, writer)
                    else:
                        writer.close()
                if conn is None or attempt == 1:  # a retry always gets a new connection
                    conn = await asyncio.open_connection(self.host, self.port)
                try:
                    status, data, keep = await self._exchange(conn, method, path, body, headers or {})
                except (ConnectionError, asyncio.IncompleteReadError):
                    # The server closed a kept-alive connection before reading the request: nothing was done; again.
                    conn[1].close()
                    if attempt == 1:
                        raise
                    continue
                if keep:
                    self._idle.append((*conn, time.monotonic()))
                else:
                    conn[1].close()
                return status, data
        raise AssertionError("unreachable")

    async def _exchange(self, conn, method, path, body, headers):
        reader, writer = conn
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        if body is not None:
            lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b""))
        status_line = await reader.readuntil(b"\r\n")
        status = int(status_line.split()[1])
        length, chunked, keep = None, False, True
        while True:
            line = await reader.readuntil(b"\r\n")
            if line == b"\r\n":
                break
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value:
                chunked = True
            elif name == "connection" and value == "close":
                keep = False
        if chunked:
            parts = []
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await reader.readuntil(b"\r\n")
                    break
                parts.append(await reader.readexactly(size))
                await reader.readexactly(2)
            data = b"".join(parts)
        else:
            data = await reader.readexactly(length or 0)
        return status, data, keep

    async def close(self) -> None:
        while self._idle:
            _, writer, _ = self._idle.pop()
            writer.close()


class SyncHTTP:
    """The same for a plain thread: http.client over one keep-alive connection."""

    def __init__(self, host: str, port: int, timeout: float = 30.0):
        import http.client

        self._new = lambda: http.client.HTTPConnection(host, port, timeout=timeout)
        self.conn = self._new()

    def get(self, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
        import http.client

        for attempt in range(2):
            try:
                self.conn.request("GET", path, headers=headers)
                r = self.conn.getresponse()
                return r.status, r.read()
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = self._new()
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.conn.close()


# --- profiles (py-spy) -----------------------------------------------------------------------------------------
# py-spy samples a running Python process from outside (no code change, little overhead): `py_spy_record` wraps a
# command or attaches to a pid and writes collapsed stacks ("raw" format, one `frame;frame;... count` per line),
# which `profile_summary` turns into the lines bench/README.md quotes ("where the time goes").


def health_pid(port: int) -> int | None:
    """The pid of the process of an API on `port` that answered /health on a new connection (0 when the API runs in
    one process, whose /health does not say), or None when none answered. With several processes, a keep-alive
    connection stays with the process that accepted it: a load started before every process answered leaves the
    ones still starting without connections."""
    http = None
    try:
        http = SyncHTTP("127.0.0.1", port, timeout=2)
        status, body = http.get("/health", {})
        return int(json.loads(body).get("process", {}).get("pid", 0)) if status == 200 else None
    except OSError:
        return None
    finally:
        if http is not None:
            http.close()


def py_spy_bin() -> str:
    found = Path(sys.executable).with_name("py-spy")
    if not found.exists():
        raise SystemExit(
            "py-spy is not installed in the venv: .venv/bin/pip install py-spy (pinned in requirements.lock)"
        )
    return str(found)


def py_spy_record(
    out: Path, *, pid: int | None = None, seconds: float | None = None, rate: int = 100, idle: bool = False
) -> list[str]:
    """The py-spy command line that records `pid` (for `seconds`) or, with `pid` None, the command appended to it.
    `idle`: also the threads waiting (on a lock, a socket, the pool), to see where a request waits."""
    cmd = [py_spy_bin(), "record", "--format", "raw", "--rate", str(rate), "--nonblocking", "-o", str(out)]
    if idle:
        cmd.append("--idle")
    if pid is not None:
        cmd += ["--pid", str(pid), "--subprocesses"]
        if seconds is not None:
            cmd += ["--duration", str(max(1, round(seconds)))]
        return cmd
    return [*cmd, "--subprocesses", "--"]


def _frame_name(frame: str) -> str:
    """`function (path/to/module.py:123)` -> `module.py:function` (a line number would split one function)."""
    name, _, where = frame.partition(" (")
    path = where.rsplit(":", 1)[0].rstrip(")")
    parts = Path(path).parts
    short = "/".join(parts[-2:]) if parts[-2:-1] and parts[-2] in ("calls", "reporting", "shared") else Path(path).name
    return f"{short}:{name.strip()}"


def profile_summary(raw: Path, top: int = 15) -> str:
    """The functions holding the most samples, inclusive (on the stack) and self (at the top), as % of all."""
    inclusive: dict[str, int] = {}
    own: dict[str, int] = {}
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [_frame_name(f) for f in stack.split(";") if " (" in f]
        for name in set(frames):
            inclusive[name] = inclusive.get(name, 0) + n
        if frames:
            own[frames[-1]] = own.get(frames[-1], 0) + n
    if not total:
        return "  (no samples)"
    lines = [f"  {total} samples; inclusive % (on the stack):"]
    for name, n in sorted(inclusive.items(), key=lambda kv: -kv[1])[:top]:
        lines.append(f"    {100 * n / total:5.1f}  {name}")
    lines.append("  self % (running that function's own code):")
    for name, n in sorted(own.items(), key=lambda kv: -kv[1])[:top]:
        lines.append(f"    {100 * n / total:5.1f}  {name}")
    return "\n".join(lines)


def incoming_call(at: datetime, caller_raw: str, pbx_call_id: str, caller: str | None = None):
    """A new call from `caller_raw` to the chamber's line, as the calls service opens one on the PBX's ringing event
    (its `Received` event, nothing else); `caller`: the number already normalised, else normalised here."""
    from services.calls.application import normalise_number
    from services.calls.domain import Call, Direction

    return Call(
        direction=Direction.INCOMING,
        at=at,
        caller_raw=caller_raw,
        caller=caller or normalise_number(caller_raw, "IR"),
        callee="03136645000",
        member_id=None,
        purpose=None,
        placed_by=None,
        pbx_call_id=pbx_call_id,
        pbx_event_id=f"{pbx_call_id}-ring",
        line=None,
        source_ref=None,
    )
