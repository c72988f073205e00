"""Who sees which page of the console: the menu shows a person the pages of the role they act in, and a page
outside it answers 403. The services still decide every command themselves (the console calls them with the
person's own token), so these rules only keep the menu and the pages to what a role can use."""

from __future__ import annotations

from shared.auth import Role

EVERY_STAFF = frozenset(Role) - {Role.TELEPHONY, Role.MONITORING, Role.SERVICE}
CALL_STAFF = frozenset({Role.EXPERT, Role.UNIT_MANAGER, Role.MR_MANAGER, Role.SG, Role.AUDITOR})
MANAGERS = frozenset({Role.UNIT_MANAGER, Role.MR_MANAGER, Role.SG, Role.AUDITOR})
COMPLAINT_STAFF = frozenset(
    {Role.EXPERT, Role.UNIT_MANAGER, Role.MR_MANAGER, Role.SG, Role.COMMITTEE, Role.AUDITOR, Role.PRESIDENT}
)
MEMBER_READERS = frozenset(
    {
        Role.EXPERT,
        Role.UNIT_MANAGER,
        Role.MR_MANAGER,
        Role.SG,
        Role.AUDITOR,
        Role.ADMIN,
        Role.MS_EXPERT,
        Role.MS_MANAGER,
    }
)
SURVEY_STAFF = frozenset({Role.EXPERT, Role.MR_MANAGER, Role.SG, Role.PRESIDENT, Role.AUDITOR})
DESK_STAFF = frozenset({Role.MS_EXPERT, Role.MS_MANAGER, Role.SG, Role.PRESIDENT, Role.AUDITOR})
# Of them, who records a desk's steps (the desks service's runners) and who reviews the minutes (its approver);
# the others read
DESK_RUNNERS = frozenset({Role.MS_EXPERT, Role.MS_MANAGER})
DESK_APPROVERS = frozenset({Role.MS_MANAGER})
PLAN_READERS = frozenset({Role.SG, Role.PRESIDENT, Role.MR_MANAGER, Role.UNIT_MANAGER, Role.AUDITOR, Role.ADMIN})
REPORT_READERS = frozenset({Role.UNIT_MANAGER, Role.MR_MANAGER, Role.SG, Role.PRESIDENT, Role.AUDITOR})

# page key -> the roles that see it, in menu order
PAGES: dict[str, frozenset[Role]] = {
    "my_work": EVERY_STAFF,
    "calls": CALL_STAFF,
    "units": MANAGERS,
    "end_of_day": MANAGERS,
    "wallboard": frozenset({*MANAGERS, Role.EXPERT}),
    "complaints": COMPLAINT_STAFF,
    "members": MEMBER_READERS,
    "surveys": SURVEY_STAFF,
    "desks": DESK_STAFF,
    "plan": PLAN_READERS,
    "reports": REPORT_READERS,
    # Everyone reads the messages sent to them; the notifications service decides whose boxes a role sees
    # (admins, the auditor, the SG and the member-relations manager all of them).
    "mailbox": EVERY_STAFF,
    "users": frozenset({Role.ADMIN}),
}
HREFS = {
    "my_work": "/work",
    "calls": "/calls",
    "units": "/units",
    "end_of_day": "/end-of-day",
    "wallboard": "/wallboard",
    "complaints": "/complaints",
    "members": "/members",
    "surveys": "/surveys",
    "desks": "/desks",
    "plan": "/plan",
    "reports": "/reports",
    "mailbox": "/mailbox",
    "users": "/admin/users",
}


def may_see(role: Role, page: str) -> bool:
    return role in PAGES[page]


def menu(role: Role) -> list[str]:
    return [page for page, roles in PAGES.items() if role in roles]
