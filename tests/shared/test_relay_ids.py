"""The relay's event ids: the same as uuid5 gives, made without a UUID object."""

from __future__ import annotations

import uuid

from shared.relay import EVENT_ID_NAMESPACE, event_id


def test_event_ids_are_the_uuid5_of_service_subject_and_version() -> None:
    for n in range(200):
        name = f"calls:{uuid.uuid4()}:{n}"
        assert event_id(name) == str(uuid.uuid5(EVENT_ID_NAMESPACE, name))
    assert event_id("members:سلام:1") == str(uuid.uuid5(EVENT_ID_NAMESPACE, "members:سلام:1"))
