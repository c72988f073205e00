"""The relay's event ids and partitions: the same as uuid5 and Kafka's own partitioner give, made faster."""

from __future__ import annotations

import uuid

from aiokafka.partitioner import murmur2
from hypothesis import given
from hypothesis import settings as examples
from hypothesis import strategies as st

from shared.relay import EVENT_ID_NAMESPACE, _murmur2, event_id, partition_for


def test_event_ids_are_the_uuid5_of_service_subject_and_version() -> None:
    for n in range(200):
        name = f"calls:{uuid.uuid4()}:{n}"
        assert event_id(name) == str(uuid.uuid5(EVENT_ID_NAMESPACE, name))
    assert event_id("members:سلام:1") == str(uuid.uuid5(EVENT_ID_NAMESPACE, "members:سلام:1"))


@examples(max_examples=500, deadline=None)
@given(st.binary(max_size=80))
def test_the_partitioner_hashes_keys_as_kafkas_own_murmur2_does(key: bytes) -> None:
    assert _murmur2(key) == murmur2(key)
    assert partition_for(key, 3) == (murmur2(key) & 0x7FFFFFFF) % 3
