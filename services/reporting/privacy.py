"""The personal data in the reporting service's own events: the callers on an end-of-day list.

Each entry of a list names a caller (the number, and the name, number and subject member relations took down). They
are sealed (shared/privacy.py) with the key the calls service seals that call's data with (services/calls/privacy.py):
the member's when the call is a known member's, otherwise the caller's number's, named by the key store's secret
(shared/privacy_subjects.py `CallerNames`), or the call's own when it names neither. So erasing the member or the
caller makes the lists already recorded read [erased] too, here, in the relay and in every later export. Escalations
and the call centre's reports name calls and units only, and stay plain.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.privacy import ERASED, KeyStore, Sealer, is_sealed
from shared.privacy_subjects import CallerNames, caller_names

END_OF_DAY_LIST = "EndOfDayList.Produced"
LIST_FIELDS = ("caller", "contact_phone", "contact_name", "subject")


class OversightSealer(Sealer):
    """Seals each entry of an end-of-day list under its caller's key."""

    def __init__(self, keys: KeyStore):
        # With `subject_of` given, each sealed value names its subject (`of`): the caller, not the list.
        super().__init__(keys, {"EndOfDayList": frozenset()}, subject_of=_the_aggregate)
        self._callers: CallerNames | None = None

    @property
    def callers(self) -> CallerNames:
        if self._callers is None:  # read when first needed: the key store makes its secret on first use
            self._callers = caller_names(self.keys)
        return self._callers

    def seal_state(self, subject: str, topic: str, state: dict[str, Any]) -> dict[str, Any]:
        if not topic.endswith(END_OF_DAY_LIST) or not state.get("items"):
            return state
        return {**state, "items": [self._sealed_item(item) for item in state["items"]]}

    def _sealed_item(self, item: Any) -> Any:
        if not isinstance(item, dict) or all(_nothing_to_seal(item.get(f)) for f in LIST_FIELDS):
            return item
        caller = item.get("caller")
        whose = self.callers.call_person(item.get("member_id"), caller if caller != ERASED else None)
        whose = whose or str(item["call_id"])
        key = self.keys.key(whose, create=True)  # once for the entry's fields
        return {
            k: self._seal_with(key, whose, k, v) if k in LIST_FIELDS and not _nothing_to_seal(v) else v
            for k, v in item.items()
        }


def _the_aggregate(aggregate_id: str, topic: str, state: Mapping[str, Any]) -> str:
    return aggregate_id


def _nothing_to_seal(value: Any) -> bool:
    return value is None or value == ERASED or is_sealed(value)
