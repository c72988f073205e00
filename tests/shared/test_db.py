"""The small database helpers every read model uses."""

from __future__ import annotations

import threading

import sqlalchemy as sa

from shared.db import create_engine, create_tables


def test_many_processes_creating_the_same_tables_at_once_all_succeed(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    failures: list[BaseException] = []
    start = threading.Barrier(8)

    def create() -> None:
        metadata = sa.MetaData()  # each "process" has its own idea of the tables, as separate processes do
        for n in range(20):
            sa.Table(f"t{n}", metadata, sa.Column("id", sa.Integer, primary_key=True))
        engine = create_engine(url)
        start.wait()
        try:
            create_tables(metadata, engine)
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=create) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert len(sa.inspect(create_engine(url)).get_table_names()) == 20
