"""Demo users of the console, so that a person can log in after `make run` and `make demo`: every manager and
expert of the organisation file, the SG, the president, an auditor and an admin, all with one known password that
`crm demo` prints. Never for a chamber's real system: the password is in this file."""

from __future__ import annotations

import sys

from services.console.main import build_directory
from services.console.users import UserDirectory
from shared.auth import Role
from shared.settings import Settings

DEMO_PASSWORD = "chamber-demo-1405"
OTHERS = [
    ("sg", Role.SG, None),
    ("president", Role.PRESIDENT, None),
    ("auditor", Role.AUDITOR, None),
    ("admin", Role.ADMIN, None),
    ("committee-1", Role.COMMITTEE, None),
]


def load_console_users(settings: Settings, out=sys.stdout, directory: UserDirectory | None = None) -> int:
    """Adds the demo users that are not there yet; returns how many were added."""
    directory = directory or build_directory(settings)
    people: list[tuple[str, Role, str | None]] = []
    for unit in settings.organisation.units:
        if unit.manager:
            role = Role.MR_MANAGER if unit.id == "member_relations" else Role.UNIT_MANAGER
            role = Role.MS_MANAGER if unit.id == "member_services" else role
            people.append((unit.manager, role, unit.id))
        expert_role = Role.MS_EXPERT if unit.id == "member_services" else Role.EXPERT
        people.extend((expert, expert_role, unit.id) for expert in unit.experts)
    added = 0
    for name, role, unit_id in [*people, *OTHERS]:
        if directory.find(name) is None:
            language = "tr" if settings.chamber == "TR" else "fa"
            directory.add(name, [role], by="crm demo", password=DEMO_PASSWORD, unit=unit_id, language=language)
            added += 1
    url = settings.local_url(settings.console_port)
    print(
        f"console: {url}/login — demo users (password {DEMO_PASSWORD}): s.ahmadi (expert, trade), f.alavi (trade "
        "manager), m.karimi (member-relations manager), sg, admin, and every expert and manager of the organisation",
        file=out,
    )
    return added
