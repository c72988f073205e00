"""Whose key seals a piece of personal data, when it is not the record's own (shared/privacy.py).

A member's data is sealed with the member's key wherever it is stored: the member's record (members service) and the
calls the member made (calls service) share it, so erasing the member erases both. A caller who is not a known
member is a subject of their own, named by an HMAC-SHA256 of the number under a secret kept in the key store
(`CallerNames`): never the number itself, which would be in the clear in every sealed value's `of` and in the key
folder, nor an unkeyed hash of it, which anyone could compute for every number to find out who called. Keys made
before callers' names were keyed keep their unkeyed name (`legacy_caller_subject`): the values they seal name it,
and an erasure deletes both names.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid

MEMBER_NAMESPACE = uuid.UUID("a6f3b0f2-51c4-4f0e-8b8e-3b9a9d6c2e71")  # the members service's aggregate ids
REGISTRANT_NAMESPACE = uuid.UUID("9c0f2e57-3d5b-4a8e-b1f4-6a2d7c9e0b13")  # a desk's registrants who are not members
CALLER_PREFIX = "caller-"
CALLER_SECRET = "caller-subjects"  # the name of the key store's secret that keys callers' names


def member_subject(membership_number: str) -> str:
    """The member's record id in the members service, which is the subject of the member's key."""
    return str(uuid.uuid5(MEMBER_NAMESPACE, f"member:{membership_number}"))


def legacy_caller_subject(e164: str) -> str:
    """The name a caller's key was given before names were keyed: `caller-<SHA-256 of the number>` (anyone can
    compute it). Only looked for, never given to a new key."""
    return CALLER_PREFIX + hashlib.sha256(f"crm/caller/{e164}".encode()).hexdigest()[:40]


class CallerNames:
    """How the keys of callers who are not members are named: `caller-<HMAC-SHA256 of the number>` under the key
    store's secret (`KeyStore.secret(CALLER_SECRET)`), so that knowing a number tells nothing without the secret."""

    def __init__(self, secret: bytes):
        if len(secret) < 16:
            raise ValueError("the secret naming callers' keys is too short")
        # Keyed once: each name copies the keyed state (a third of the cost of keying HMAC again per number; an
        # erasure matches every call the index holds against it).
        self._keyed = hmac.new(secret, b"crm/caller/", hashlib.sha256)

    def subject(self, e164: str) -> str:
        """The subject a new key of this caller is made under."""
        mac = self._keyed.copy()
        mac.update(e164.encode())
        return CALLER_PREFIX + mac.hexdigest()[:40]

    def names(self, e164: str) -> tuple[str, str]:
        """Every name this caller's keys may have: the keyed one, and the unkeyed one of keys made before."""
        return self.subject(e164), legacy_caller_subject(e164)

    def call_person(self, member_id: str | None, caller: str | None) -> str | None:
        """Whose a new call is: the member when the number is a known member's, else the caller's number; None
        when the call names neither."""
        if member_id:
            return member_subject(member_id)
        return self.subject(caller) if caller else None

    def call_persons(self, member_id: str | None, caller: str | None) -> frozenset[str]:
        """Every subject a call's data may be sealed under (an erasure naming any of them reaches the call)."""
        if member_id:
            return frozenset({member_subject(member_id)})
        return frozenset(self.names(caller)) if caller else frozenset()


def caller_names(keys: object) -> CallerNames:
    """The callers' names of a key store (one with `secret`, as every store of shared/privacy.py has)."""
    secret = getattr(keys, "secret", None)
    if secret is None:
        raise TypeError(f"{type(keys).__name__} keeps no secret to name callers' keys with")
    return CallerNames(secret(CALLER_SECRET))


def registrant_subject(desk_id: str, number: str) -> str:
    """The subject of a desk's registrant who named no member: one per problem form of a desk."""
    return str(uuid.uuid5(REGISTRANT_NAMESPACE, f"desk-registrant:{desk_id}:{number}"))


def form_person(desk_id: str, member_id: str | None, number: str) -> str:
    """Whose a desk's problem form is: the member's when it names one, else the form's registrant's."""
    return member_subject(member_id) if member_id else registrant_subject(desk_id, number)
