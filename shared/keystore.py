"""The per-person keys of shared/privacy.py in one SQLite file (`keys.db` in the key folder), with a bounded cache.

A key is read from the file once and then served from memory; a key made while events are being sealed is kept in
memory until the batch of events it seals is about to be stored, and all the keys of that batch are written in one
transaction (one disk flush for an import batch of 500 members, where a file per person cost a flush each).

Erasure holds in every process at once, cache or no cache:
* `delete` replaces the key by a tombstone (NULL) and appends the person to the `erasures` table, in one
  transaction, with SQLite's secure_delete on (the freed bytes are overwritten) and the write-ahead log truncated;
* every lookup first asks SQLite whether another connection has written to the file since the last lookup
  (`PRAGMA data_version`, no disk read); if so, it reads the erasures added since, and drops those keys from the
  cache before answering. A reader of many events at once (the relay, a batch of 2,000) asks once for all of them
  instead (`reading`): the question cost as much as the rest of the lookup, and an erasure made by another
  process is still seen before the next batch is read.
A key written by two processes for the same new person: the first one stored wins; the loser's batch finds out
before its events are stored (KeyConflict) and seals them again with the winner's key.

The file also keeps the store's secrets (`secrets(name, value)`): made once, the first process's winning, never
exported or erased; the one that names callers' keys (shared/privacy_subjects.py) is the first.
"""

from __future__ import annotations

import base64
import secrets
import sqlite3
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared.write_lock import StoreWriteLock

_ERASED = b""  # in the cache: the person was erased (a tombstone never goes away, so it may be cached)


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


class KeyConflict(Exception):
    """Keys made in a batch lost to keys another process stored first (or to an erasure): seal the batch again."""


class SqliteKeyStore:
    """Keys in `<folder>/keys.db`: `keys(subject, key)`, key NULL once erased; `erasures(seq, subject)`; the
    store's own `secrets(name, value)`."""

    FILE = "keys.db"

    def __init__(self, folder: Path, *, cache_size: int = 65_536):
        self.folder = folder
        self.cache_size = cache_size
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = folder / self.FILE
        if not path.exists():  # created readable by its owner alone, as the key files were
            path.touch(mode=0o600)
        self._db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        self._lock = threading.RLock()
        # Writers of the file in several processes (the calls API's replicas) take turns here, not in SQLite's sleeps.
        self._writing = StoreWriteLock(str(path))
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._pending: dict[str, bytes] = {}  # made in a batch, not yet written
        self._batching = threading.local()
        self._reading = threading.local()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA secure_delete=ON")
            self._db.execute("CREATE TABLE IF NOT EXISTS keys (subject TEXT PRIMARY KEY, key BLOB) WITHOUT ROWID")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS erasures (seq INTEGER PRIMARY KEY AUTOINCREMENT, subject TEXT NOT NULL)"
            )
            self._db.execute("CREATE TABLE IF NOT EXISTS secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL)")
            self._secrets: dict[str, bytes] = {}
            self._import_key_files()
            self._seen_erasure = self._db.execute("SELECT coalesce(max(seq), 0) FROM erasures").fetchone()[0]
            self._version = self._data_version()

    def close(self) -> None:
        with self._lock:
            self._db.close()
            self._writing.close()

    # -- the KeyStore calls --------------------------------------------------------------------------------------
    def key(self, subject: str, *, create: bool) -> bytes | None:
        with self._lock:
            if not getattr(self._reading, "depth", 0):
                self._drop_erased_elsewhere()
            found = self._cache.get(subject)
            if found is not None:
                self._cache.move_to_end(subject)
                return found or None
            row = self._db.execute("SELECT key FROM keys WHERE subject = ?", (subject,)).fetchone()
            if row is not None:
                self._remember(subject, row[0] or _ERASED)
                return row[0] or None
            if not create:
                return None
            key = AESGCM.generate_key(bit_length=256)
            if getattr(self._batching, "depth", 0):
                self._pending[subject] = key
                self._remember(subject, key)
                return key
            with self._writing.held():
                self._db.execute("INSERT INTO keys (subject, key) VALUES (?, ?) ON CONFLICT DO NOTHING", (subject, key))
            stored = self._db.execute("SELECT key FROM keys WHERE subject = ?", (subject,)).fetchone()[0]
            self._remember(subject, stored or _ERASED)
            return stored or None

    def delete(self, subject: str) -> bool:
        with self._lock:
            had = self._pending.pop(subject, None) is not None
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute("SELECT key FROM keys WHERE subject = ?", (subject,)).fetchone()
                had = had or (row is not None and row[0] is not None)
                self._db.execute(
                    "INSERT INTO keys (subject, key) VALUES (?, NULL) ON CONFLICT (subject) DO UPDATE SET key = NULL",
                    (subject,),
                )
                self._db.execute("INSERT INTO erasures (subject) VALUES (?)", (subject,))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._remember(subject, _ERASED)
            # The key's old page may still sit in the write-ahead log: checkpoint it into the (zeroed) file and
            # empty the log. Busy readers can keep it for a moment; the next erasure tries again.
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return had

    def erasures(self) -> int:
        """How many erasures the file holds, whichever process made them: one that moves means a person's data
        was erased since (a replica of an API drops what it keeps opened in memory)."""
        with self._lock:
            return int(self._db.execute("SELECT coalesce(max(seq), 0) FROM erasures").fetchone()[0])

    def secret(self, name: str) -> bytes:
        """The store's secret of that name (32 random bytes), made on first use; every process reads the same."""
        with self._lock:
            found = self._secrets.get(name)
            if found is None:
                made = secrets.token_bytes(32)
                self._db.execute("INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT DO NOTHING", (name, made))
                found = bytes(self._db.execute("SELECT value FROM secrets WHERE name = ?", (name,)).fetchone()[0])
                self._secrets[name] = found
            return found

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Keys made inside are written together on leaving (before the events they seal are stored). Raises
        KeyConflict if one of them lost to another process's key or an erasure: the cache then knows the winner."""
        self._batching.depth = getattr(self._batching, "depth", 0) + 1
        try:
            yield
        finally:
            self._batching.depth -= 1
        if self._batching.depth == 0:
            self.flush()

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Lookups inside (in this thread) trust what was known on entering: the erasures made by other processes
        are read once, here, not before every lookup. Erasures made through this store hold inside at once."""
        with self._lock:
            self._drop_erased_elsewhere()
        self._reading.depth = getattr(self._reading, "depth", 0) + 1
        try:
            yield
        finally:
            self._reading.depth -= 1

    def flush(self) -> None:
        """Write every key made in a batch, in one transaction."""
        with self._lock:
            if not self._pending:
                return
            pending, self._pending = self._pending, {}
            lost = []
            with self._writing.held():
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    for subject, key in pending.items():
                        cursor = self._db.execute(
                            "INSERT INTO keys (subject, key) VALUES (?, ?) ON CONFLICT DO NOTHING", (subject, key)
                        )
                        if cursor.rowcount == 0:
                            lost.append(subject)
                    self._db.execute("COMMIT")
                except BaseException:
                    self._db.execute("ROLLBACK")
                    self._pending = {**pending, **self._pending}
                    raise
            if lost:
                for subject in lost:
                    self._cache.pop(subject, None)
                raise KeyConflict(f"{len(lost)} key(s) were stored by another process first")

    # -- inside ----------------------------------------------------------------------------------------------
    def _remember(self, subject: str, key: bytes) -> None:
        self._cache[subject] = key
        self._cache.move_to_end(subject)
        while len(self._cache) > self.cache_size:
            oldest, _ = self._cache.popitem(last=False)
            if oldest in self._pending:  # not written yet: it must stay readable here until it is
                self._cache[oldest] = self._pending[oldest]
                break

    def _data_version(self) -> int:
        return int(self._db.execute("PRAGMA data_version").fetchone()[0])

    def _drop_erased_elsewhere(self) -> None:
        version = self._data_version()
        if version == self._version:
            return
        self._version = version
        rows = self._db.execute(
            "SELECT seq, subject FROM erasures WHERE seq > ? ORDER BY seq", (self._seen_erasure,)
        ).fetchall()
        for seq, subject in rows:
            self._seen_erasure = seq
            self._pending.pop(subject, None)
            self._remember(subject, _ERASED)

    def _import_key_files(self) -> None:
        """Keys and tombstones of the former layout (`<id>.key`, `<id>.erased`, the id an aggregate's UUID): moved
        into the file once. Other files are left alone (an audit signing key kept in the same folder, say)."""
        keys = [p for p in self.folder.glob("*.key") if _is_uuid(p.stem)]
        tombstones = [p for p in self.folder.glob("*.erased") if _is_uuid(p.stem)]
        if not keys and not tombstones:
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            for path in keys:
                key = base64.b64decode(path.read_bytes())
                self._db.execute("INSERT INTO keys VALUES (?, ?) ON CONFLICT DO NOTHING", (path.stem, key))
            for path in tombstones:
                self._db.execute(
                    "INSERT INTO keys VALUES (?, NULL) ON CONFLICT (subject) DO UPDATE SET key = NULL", (path.stem,)
                )
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        for path in keys + tombstones:
            path.unlink(missing_ok=True)
