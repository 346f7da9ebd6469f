"""User administration for the admin console: find, create, disable and enable, reset a
password, change a role or groups, and see and end a user's sign-ins."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response
from pydantic import BaseModel, EmailStr, Field

from gateway.identity import accounts
from gateway.identity.administration import Account
from gateway.web.api import Model, operation
from gateway.web.auth import current_web_session
from gateway.web.context import services
from gateway.web.schemas import DeviceOut, UserOut

bp = Blueprint("admin_users", __name__, url_prefix="/api/v1/admin/users")

GroupName = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._-]*$")


class NewUser(Model):
    username: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]+$")
    # Without one, the gateway makes a one-time password, answered once.
    password: str | None = Field(default=None, min_length=10, max_length=1024)
    display_name: str | None = Field(default=None, min_length=1, max_length=128)
    email: EmailStr | None = None
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9 ()-]{5,31}$")
    role: str = Field(default="user", pattern=r"^(admin|user)$")
    groups: list[str] = Field(default_factory=list, max_length=64)


class Groups(Model):
    groups: list[str] = Field(max_length=64)


class Search(Model):
    q: str = Field(default="", max_length=128)  # part of a username, name or e-mail


class Role(Model):
    role: str = Field(pattern=r"^(admin|user)$")


class AccountOut(UserOut):
    created_at: datetime
    disabled: bool

    @classmethod
    def of_account(cls, account: Account) -> AccountOut:
        return cls(**UserOut.of(account.user).model_dump(), created_at=account.created_at,
                   disabled=account.disabled_at is not None)


class NewUserOut(AccountOut):
    one_time_password: str | None = None  # shown once, when the gateway made it


class UserList(BaseModel):
    users: list[AccountOut]


class SessionOut(BaseModel):
    handle: str
    method: str
    created_at: datetime
    expires_at: datetime


class SignInOut(BaseModel):
    at: datetime
    action: str
    device_id: str | None
    ip: str | None  # cut to its network (/24, /48) in the operation log
    details: dict


class OverviewOut(BaseModel):
    user: AccountOut
    devices: list[DeviceOut]
    sessions: list[SessionOut]
    sign_ins: list[SignInOut]


class OneTimePassword(BaseModel):
    one_time_password: str


@bp.get("")
@operation(summary="The users, disabled ones too, optionally those matching q", tag="admin",
           auth="admin", query=Search, response=UserList)
def list_users(query: Search):
    found = services().identity.administration.find(query.q)
    return UserList(users=[AccountOut.of_account(account) for account in found])


@bp.post("")
@operation(summary="Create a user (without a password: with a one-time password, answered "
                   "once, to be replaced at the first sign-in)", tag="admin", auth="admin",
           body=NewUser, response=NewUserOut, status=201, errors=(400, 409))
def create_user(body: NewUser):
    svc = services()
    one_time = None if body.password else accounts.one_time_password()
    user = svc.identity.accounts.create_user(
        username=body.username, password=body.password or one_time, display_name=body.display_name, role=body.role,
        email=body.email, phone=body.phone, groups=tuple(body.groups),
        must_change_password=one_time is not None,
    )
    account = svc.identity.administration.account(user.id)
    return NewUserOut(**AccountOut.of_account(account).model_dump(), one_time_password=one_time)


@bp.get("/<user_id>")
@operation(summary="A user with their devices, open browser sessions and newest sign-ins",
           tag="admin", auth="admin", response=OverviewOut, errors=(404,))
def user_overview(user_id: str):
    svc = services()
    found = svc.identity.administration.overview(user_id)
    return OverviewOut(
        user=AccountOut.of_account(found.account),
        devices=[DeviceOut.of(device) for device in found.devices],
        sessions=[SessionOut(handle=s.handle, method=s.method, created_at=s.created_at,
                             expires_at=s.expires_at) for s in found.sessions],
        sign_ins=[SignInOut(at=o.at, action=o.action, device_id=o.device_id, ip=o.ip,
                            details=o.details) for o in found.sign_ins])


@bp.post("/<user_id>/disable")
@operation(summary="Disable a user: no more sign-ins, every browser and phone signed out",
           tag="admin", auth="admin", response=AccountOut, errors=(404, 409))
def disable(user_id: str):
    return _set_disabled(user_id, True)


@bp.post("/<user_id>/enable")
@operation(summary="Enable a disabled user again", tag="admin", auth="admin",
           response=AccountOut, errors=(404,))
def enable(user_id: str):
    return _set_disabled(user_id, False)


def _set_disabled(user_id: str, disabled: bool) -> AccountOut:
    return AccountOut.of_account(services().identity.administration.set_disabled(
        user_id, disabled, actor=current_web_session().user_id))


@bp.post("/<user_id>/password-reset")
@operation(summary="Give a user a new one-time password (answered once); every browser and "
                   "phone of theirs is signed out", tag="admin", auth="admin",
           response=OneTimePassword, errors=(404,))
def reset_password(user_id: str):
    return OneTimePassword(one_time_password=services().identity.administration.reset_password(
        user_id, actor=current_web_session().user_id))


@bp.put("/<user_id>/role")
@operation(summary="Make a user an administrator or a user", tag="admin", auth="admin",
           body=Role, response=AccountOut, errors=(400, 404, 409))
def set_role(user_id: str, body: Role):
    return AccountOut.of_account(services().identity.administration.set_role(
        user_id, body.role, actor=current_web_session().user_id))


@bp.delete("/<user_id>/sessions/<handle>")
@operation(summary="End one of a user's browser sessions", tag="admin", auth="admin",
           status=204, errors=(404,))
def end_session(user_id: str, handle: str):
    services().identity.administration.end_session(user_id, handle,
                                                   actor=current_web_session().user_id)
    return Response(status=204)


@bp.delete("/<user_id>/devices/<device_id>")
@operation(summary="Revoke one of a user's devices: it is signed out for good",
           tag="admin", auth="admin", response=DeviceOut, errors=(404,))
def revoke_device(user_id: str, device_id: str):
    return DeviceOut.of(services().identity.devices.revoke(user_id, device_id))


@bp.put("/<user_id>/groups")
@operation(summary="Replace a user's groups", tag="admin", auth="admin", body=Groups,
           response=UserOut, errors=(400, 404))
def set_groups(user_id: str, body: Groups):
    return UserOut.of(services().identity.accounts.set_groups(user_id, tuple(body.groups)))
