"""User administration for the admin console: list, create, and set groups."""

from __future__ import annotations

from flask import Blueprint
from pydantic import BaseModel, EmailStr, Field

from gateway.web.api import Model, operation
from gateway.web.context import services
from gateway.web.schemas import UserOut

bp = Blueprint("admin_users", __name__, url_prefix="/api/v1/admin/users")

GroupName = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._-]*$")


class NewUser(Model):
    username: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]+$")
    password: str = Field(min_length=10, max_length=1024)
    display_name: str | None = Field(default=None, min_length=1, max_length=128)
    email: EmailStr | None = None
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9 ()-]{5,31}$")
    role: str = Field(default="user", pattern=r"^(admin|user)$")
    groups: list[str] = Field(default_factory=list, max_length=64)


class Groups(Model):
    groups: list[str] = Field(max_length=64)


class UserList(BaseModel):
    users: list[UserOut]


@bp.get("")
@operation(summary="Every user", tag="admin", auth="admin", response=UserList)
def list_users():
    return UserList(users=[UserOut.of(u) for u in services().identity.accounts.list_users()])


@bp.post("")
@operation(summary="Create a user", tag="admin", auth="admin", body=NewUser, response=UserOut,
           status=201, errors=(400, 409))
def create_user(body: NewUser):
    svc = services()
    user = svc.identity.accounts.create_user(
        username=body.username, password=body.password,
        display_name=body.display_name, role=body.role, email=body.email, phone=body.phone,
        groups=tuple(body.groups),
    )
    return UserOut.of(user)


@bp.put("/<user_id>/groups")
@operation(summary="Replace a user's groups", tag="admin", auth="admin", body=Groups,
           response=UserOut, errors=(400, 404))
def set_groups(user_id: str, body: Groups):
    return UserOut.of(services().identity.accounts.set_groups(user_id, tuple(body.groups)))
