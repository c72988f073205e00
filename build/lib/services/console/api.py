"""The users API: admins (bearer token of role admin) add users, change their roles, unit, language and contact
details, set passwords, disable and enable them, and read each user's recorded history; the auditor reads."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from services.console.users import UserDirectory
from shared.auth import Principal, Role, require

users_api = APIRouter(prefix="/users", tags=["users"])
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
Reader = Annotated[Principal, Depends(require(Role.ADMIN, Role.AUDITOR))]
UserName = Annotated[str, Field(max_length=63)]


def directory(request: Request) -> UserDirectory:
    found: UserDirectory = request.app.state.console.directory
    return found


Directory = Annotated[UserDirectory, Depends(directory)]


class UserPublic(BaseModel):
    name: str = Field(description="the user name the person logs in with")
    roles: list[Role] = Field(description="the roles, the first being the one a login acts in")
    unit: str | None = Field(description="the chamber unit the person belongs to, e.g. trade")
    language: str = Field(description="the console's language for this person: fa, tr or en")
    email: str | None = Field(description="the person's e-mail address")
    phone: str | None = Field(description="the person's telephone number")
    disabled: bool = Field(description="a disabled user cannot log in; their sessions were ended")
    has_password: bool = Field(description="whether a password is set (false: OpenID Connect login only)")
    created_at: datetime = Field(description="when the user was added (UTC)")


class UserIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "z.rahimi",
                    "roles": ["expert"],
                    "unit": "member_relations",
                    "language": "fa",
                    "email": "z.rahimi@chamber.example",
                    "phone": "+98 913 123 4567",
                    "password": "a long passphrase",
                }
            ]
        },
    )
    name: str = Field(max_length=63, description="user name: 2 to 63 of a-z, 0-9, '.', '_', '-'")
    roles: list[Role] = Field(min_length=1, max_length=10, description="one or more staff roles")
    unit: str | None = Field(default=None, max_length=100, description="the person's unit")
    language: str = Field(default="fa", max_length=2, description="fa, tr or en")
    email: str | None = Field(default=None, max_length=254, description="e-mail address")
    phone: str | None = Field(default=None, max_length=40, description="telephone number")
    password: str | None = Field(
        default=None, max_length=1024, description="the first password (at least 10 characters); omit for OIDC only"
    )


class UserChange(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"roles": ["unit_manager"], "unit": "trade", "language": "tr"}]},
    )
    roles: list[Role] | None = Field(default=None, max_length=10, description="the new roles; ends the user's sessions")
    unit: str | None = Field(default=None, max_length=100, description="the new unit; ends the user's sessions")
    language: str | None = Field(default=None, max_length=2, description="fa, tr or en")
    email: str | None = Field(default=None, max_length=254, description="e-mail address ('' clears it)")
    phone: str | None = Field(default=None, max_length=40, description="telephone number ('' clears it)")


class PasswordIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"password": "another long passphrase"}]})
    password: str = Field(max_length=1024, description="the new password, at least 10 characters")


class UserEvent(BaseModel):
    type: str = Field(description="what happened, e.g. user.added, user.roles_changed, user.logged_in")
    by: str = Field(description="who did it (a user name, or the name on the admin's token)")
    at: datetime = Field(description="when (UTC)")
    data: dict[str, Any] = Field(description="what was recorded with it; never a password")


@users_api.get("", response_model=list[UserPublic], summary="Every console user")
def list_users(users: Directory, _: Reader) -> Any:
    """The console's users with their roles, unit, language and contact details, by user name; never a password."""
    return [u.public() for u in users.all()]


@users_api.post("", status_code=201, response_model=UserPublic, summary="Add a user")
def add_user(users: Directory, principal: Admin, body: UserIn) -> Any:
    """Adds a person who logs in to the console: the password is stored as an argon2id hash, the addition is recorded with the admin's name. 409 if the user name is taken, 422 for a bad role, language or password."""
    return users.add(
        body.name,
        body.roles,
        by=principal.name,
        password=body.password,
        unit=body.unit,
        language=body.language,
        email=body.email,
        phone=body.phone,
    ).public()


@users_api.get("/{name}", response_model=UserPublic, summary="One user")
def get_user(users: Directory, _: Reader, name: UserName) -> Any:
    """The user's roles, unit, language and contact details; 404 if there is no such user."""
    return users.get(name).public()


@users_api.patch("/{name}", response_model=UserPublic, summary="Change roles, unit, language or contact details")
def change_user(users: Directory, principal: Admin, name: UserName, body: UserChange) -> Any:
    """Changes only what is sent; each change is recorded. A change of roles or unit ends the user's sessions, so the next login acts with the new ones."""
    return users.change(
        name,
        by=principal.name,
        roles=body.roles,
        unit=body.unit,
        language=body.language,
        email=body.email,
        phone=body.phone,
    ).public()


@users_api.post("/{name}/password", status_code=204, summary="Set a user's password")
def set_password(users: Directory, principal: Admin, name: UserName, body: PasswordIn) -> None:
    """Sets a new password (stored as an argon2id hash) and records who set it; the user's failed logins are forgotten, so a locked-out user can log in again."""
    users.set_password(name, body.password, by=principal.name)
    users.unlock(name, by=principal.name)


@users_api.post("/{name}/disable", response_model=UserPublic, summary="Disable a user")
def disable_user(users: Directory, principal: Admin, name: UserName) -> Any:
    """The user can no longer log in; every open session ends and its token is revoked at once."""
    return users.set_disabled(name, True, by=principal.name).public()


@users_api.post("/{name}/enable", response_model=UserPublic, summary="Enable a disabled user")
def enable_user(users: Directory, principal: Admin, name: UserName) -> Any:
    """The user may log in again with the password they had."""
    return users.set_disabled(name, False, by=principal.name).public()


@users_api.get("/{name}/history", response_model=list[UserEvent], summary="Everything recorded about a user")
def user_history(users: Directory, _: Reader, name: UserName) -> Any:
    """Every recorded change and login of the user, oldest first: who added them, who gave which role, who set a password, when they logged in and out."""
    return users.history(name)
