"""A service's HTTP API in more than one process on one machine (CRM_CALLS_API_PROCESSES): the primary process and
its replicas each listen on the service's port with a socket of their own (SO_REUSEPORT), and the kernel spreads
the new connections over them. A keep-alive connection stays with the process that accepted it.

The primary is the service as it always runs: its API, its local index and followers, its relay to Kafka and its
background work. Each replica (`crm serve <service> --replica`, started and restarted by the primary) serves
the same API over the same stores and nothing else: a replica's writes reach the followers and the relay of the
primary, which the replica wakes through a datagram (`Wake`) as the primary's own saves wake them. One process is
one interpreter, and so one core at most for Python: the replicas are how the API uses the machine's other cores.

Prometheus figures of all the processes are kept in files (prometheus_client's multiprocess mode, in
`<data>/metrics/<service>-<port>/`), so that a scrape answered by any of them counts every process's requests.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

MULTIPROC_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
RESTART_DELAY = 1.0  # s before a replica that exited is started again


def metrics_folder(data_dir: Path, service: str, port: int) -> Path:
    return data_dir / "metrics" / f"{service}-{port}"


def use_shared_metrics(folder: Path) -> None:
    """Prometheus figures in files under `folder`, emptied first (the files of a former run would count twice).
    Must run before prometheus_client is imported: it chooses where its values live on import."""
    if "prometheus_client" in sys.modules:
        raise RuntimeError("prometheus_client was imported before its multiprocess folder was set")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    os.environ[MULTIPROC_VARIABLE] = str(folder)


def listening_socket(host: str, port: int, *, first: bool) -> socket.socket:
    """A socket listening on the service's port beside the other processes of its API. `first` (the primary): the
    port must be free, as for a service in one process, so that a second start of the service fails rather than
    sharing the port with the first."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    if first:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))  # OSError (address in use) when anything listens there
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    return sock


def exit_with_parent() -> None:
    """This process is sent SIGTERM when its parent dies (a primary killed with -9 leaves no replica behind)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        if os.getppid() == 1:  # the parent died before the call
            os.kill(os.getpid(), signal.SIGTERM)


class Replicas:
    """The replicas of a service's API; each started again when it exits."""

    def __init__(self, service: str, count: int):
        self.service = service
        self.count = count
        self.procs: list[subprocess.Popen[bytes]] = []
        self._stop = threading.Event()
        self._watch: threading.Thread | None = None

    def _spawn(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-m", "services.cli", "serve", self.service, "--replica"])

    def start(self) -> None:
        self.procs = [self._spawn() for _ in range(self.count)]
        log.info("%s: %d API replica(s) started: pids %s", self.service, self.count, [p.pid for p in self.procs])
        self._watch = threading.Thread(target=self._keep_up, name=f"{self.service}-replicas", daemon=True)
        self._watch.start()

    def _keep_up(self) -> None:
        while not self._stop.wait(0.5):
            for k, proc in enumerate(self.procs):
                if proc.poll() is None or self._stop.is_set():
                    continue
                log.error(
                    "%s: API replica %d exited with %s; starting it again", self.service, proc.pid, proc.returncode
                )
                self._mark_dead(proc.pid)
                if self._stop.wait(RESTART_DELAY):
                    return
                self.procs[k] = self._spawn()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._watch is not None:
            self._watch.join(timeout)
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + timeout
        for proc in self.procs:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            self._mark_dead(proc.pid)

    @staticmethod
    def _mark_dead(pid: int) -> None:
        if os.environ.get(MULTIPROC_VARIABLE):
            from prometheus_client import multiprocess

            multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]


class Wake:
    """A datagram from a replica to its primary each time the replica stores events: the primary's followers and
    relay then look at once instead of at their next poll. An abstract Unix socket named after the service and its
    port (one per machine): nothing on disk, gone with the primary."""

    def __init__(self, service: str, port: int):
        self.address = f"\0crm-{service}-{port}-stored"
        self._sock: socket.socket | None = None

    def send(self) -> None:
        """Best effort: with no primary listening, its followers find the events at their next poll anyway."""
        try:
            if self._sock is None:
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                self._sock.setblocking(False)
            self._sock.sendto(b"s", self.address)
        except OSError:
            pass

    def listen(self, on_wake: Callable[[], None], stop: threading.Event) -> threading.Thread:
        """Call `on_wake` for every datagram (those arriving together once) until `stop` is set."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(self.address)
        sock.settimeout(0.5)

        def run() -> None:
            with sock:
                while not stop.is_set():
                    try:
                        sock.recv(64)
                    except TimeoutError:
                        continue
                    sock.setblocking(False)
                    with contextlib.suppress(BlockingIOError):
                        while True:
                            sock.recv(64)
                    sock.settimeout(0.5)
                    on_wake()

        thread = threading.Thread(target=run, name="replica-wakes", daemon=True)
        thread.start()
        return thread
