"""The console's published events: every change to a staff user's account (topic `crm.console.events.v1`), so
that the roles, units and languages given to people, and by whom, are in the signed audit export with the rest.

No event holds a password or its hash. Logins and logouts are not published (see services/console/accounts.py).
The wire types are declared here, once, and never derived from class names (see services/calls/contract.py).
After any change run `make contracts` and commit the JSON Schema files under `contracts/console/`.
"""

from shared.contracts import EventContract

_ACCOUNT = "services.console.accounts:UserAccount"

CONTRACT = EventContract(
    "console",
    {
        "crm.console.user.added.v1": f"{_ACCOUNT}.Added",
        "crm.console.user.roles_changed.v1": f"{_ACCOUNT}.RolesChanged",
        "crm.console.user.unit_changed.v1": f"{_ACCOUNT}.UnitChanged",
        "crm.console.user.language_changed.v1": f"{_ACCOUNT}.LanguageChanged",
        "crm.console.user.email_changed.v1": f"{_ACCOUNT}.EmailChanged",
        "crm.console.user.phone_changed.v1": f"{_ACCOUNT}.PhoneChanged",
        "crm.console.user.disabled.v1": f"{_ACCOUNT}.Disabled",
        "crm.console.user.enabled.v1": f"{_ACCOUNT}.Enabled",
        "crm.console.user.password_changed.v1": f"{_ACCOUNT}.PasswordChanged",
        "crm.console.user.unlocked.v1": f"{_ACCOUNT}.Unlocked",
        "crm.console.user.notifications_chosen.v1": f"{_ACCOUNT}.NotificationsChosen",
    },
)
