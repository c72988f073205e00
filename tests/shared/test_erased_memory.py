"""A consumer's memory of whom erasures reached: remembered once per subject, found by subject or by kind."""

from __future__ import annotations

import sqlalchemy as sa

from shared.db import create_engine
from shared.erased_memory import ErasedMemory, erased_table


def test_subjects_are_remembered_once_with_their_kind(tmp_path) -> None:
    metadata = sa.MetaData()
    memory = ErasedMemory(erased_table(metadata, "consumer_erased"))
    engine = create_engine(f"sqlite:///{tmp_path / 'c.db'}")
    metadata.create_all(engine)
    with engine.begin() as conn:
        assert not memory.any(conn)
        memory.remember(conn, ["m-1", "1001", None], "person")  # type: ignore[list-item]
        memory.remember(conn, ["m-1", "call-9"], "call")  # m-1 is known already: kept as it was
    with engine.connect() as conn:
        assert memory.any(conn)
        assert memory.remembered(conn, {"m-1", "call-9", "m-2"}) == {("person", "m-1"), ("call", "call-9")}
        assert memory.of_kind(conn, "person") == {"m-1", "1001"}
        assert memory.remembered(conn, [f"x-{n}" for n in range(1200)] + ["1001"]) == {("person", "1001")}
