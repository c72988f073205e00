"""A sealed value's plain JSON: written and read by orjson where that gives what the standard library gave."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import settings as examples
from hypothesis import strategies as st

from shared.privacy import MemoryKeyStore, Sealer, _from_plain_json, _plain_json, is_sealed

texts = st.text(st.characters(codec="utf-8"), max_size=20) | st.sampled_from(["\ud800", "é\x00\x1f\x7f\u2028😀"])
values = st.recursive(
    texts
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.booleans()
    | st.none()
    | st.tuples(st.integers(0, 3)),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts | st.integers(0, 3), inner, max_size=4),
    max_leaves=10,
)


def outcome(write: Any, value: Any) -> tuple[str, Any]:
    try:
        return "bytes", write(value)
    except (TypeError, ValueError) as exc:
        return "refused", type(exc)


@examples(max_examples=1000, deadline=None)
@given(values)
def test_a_value_to_seal_is_written_as_the_standard_library_wrote_it(value: Any) -> None:
    def reference(v: Any) -> bytes:
        return json.dumps(v, ensure_ascii=False, separators=(",", ":")).encode()

    assert outcome(_plain_json, value) == outcome(reference, value)


def same(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b) or (a != a and b != b)


@examples(max_examples=1000, deadline=None)
@given(values)
def test_an_opened_value_reads_as_the_standard_library_read_it(value: Any) -> None:
    try:
        plain = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    except (TypeError, ValueError):
        return  # never sealed
    assert same(_from_plain_json(plain), json.loads(plain))


def test_big_numbers_and_floats_in_a_sealed_value_open_exactly() -> None:
    sealer = Sealer(MemoryKeyStore(), {"Member": {"notes"}})
    value = {"n": 123456789012345678901234567890, "x": 0.1, "name": "زهرا"}
    sealed = sealer.seal_state("p1", "m:Member.Noted", {"notes": value})
    assert is_sealed(sealed["notes"])
    sealer.open_state("p1", sealed)
    assert sealed["notes"] == value and type(sealed["notes"]["n"]) is int
