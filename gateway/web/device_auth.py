"""Device sign-in for the mobile app: password sign-in, refresh, sign-out, the signed-in
user (``/me``: who, profile, password), devices."""

from __future__ import annotations

from flask import Blueprint, Response
from pydantic import BaseModel, EmailStr, Field

from gateway.identity import accounts, device_tokens, devices
from gateway.identity.devices import DeviceDescription
from gateway.identity.password_change import Changer
from gateway.web.api import Model, operation
from gateway.web.auth import current_device
from gateway.web.consent import requires_policy
from gateway.web.context import client_ip, services
from gateway.web.i18n import asked_language
from gateway.web.limits import by_account, by_address, limiter, sign_in_limit
from gateway.web.schemas import DeviceIn, DeviceList, DeviceOut, PasswordChange, UserOut

bp = Blueprint("device_auth", __name__, url_prefix="/api/v1")


class SignIn(Model):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)
    device: DeviceIn


class ProfileChange(Model):
    display_name: str | None = Field(default=None, min_length=1, max_length=128)
    email: EmailStr | None = None
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9 ()-]{5,31}$")


class Refresh(Model):
    refresh_token: str = Field(min_length=16, max_length=256)


class Tokens(BaseModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int
    refresh_token: str
    device_id: str
    user_id: str

    @classmethod
    def of(cls, pair: device_tokens.TokenPair) -> Tokens:
        return cls(
            access_token=pair.access_token, expires_in=pair.expires_in,
            refresh_token=pair.refresh_token, device_id=pair.device_id, user_id=pair.user_id,
        )


def description_of(device: DeviceIn) -> DeviceDescription:
    return DeviceDescription(
        app_device_id=device.device_id, model=device.model, os=device.os,
        os_version=device.os_version, app_version=device.app_version,
        public_key=device.public_key.model_dump(exclude_none=True) if device.public_key else None,
    )


@bp.post("/auth/sign-in")
@limiter.limit(sign_in_limit, key_func=by_address)
@limiter.limit(sign_in_limit, key_func=by_account)
@operation(summary="Sign a device in with a password", tag="device sign-in", body=SignIn,
           response=Tokens, errors=(401, 409, 429))
@requires_policy  # nothing about the device is stored before a notice exists (1.6)
def sign_in(body: SignIn):
    pair = services().identity.tokens.sign_in(
        username=body.username, password=body.password,
        description=description_of(body.device), ip=client_ip(), reads_in=asked_language(),
    )
    return Tokens.of(pair)


@bp.post("/auth/refresh")
@limiter.limit("60 per minute", key_func=by_address)
@operation(summary="Trade a refresh token for new tokens", tag="device sign-in", body=Refresh,
           response=Tokens, errors=(401, 429))
def refresh(body: Refresh):
    pair = services().identity.tokens.refresh(body.refresh_token, ip=client_ip(),
                                              reads_in=asked_language())
    return Tokens.of(pair)


@bp.post("/auth/sign-out")
@operation(summary="Sign this device's session out", tag="device sign-in", auth="device",
           status=204, before_password_change=True)
def sign_out():
    services().identity.tokens.sign_out(current_device().family_id)
    return Response(status=204)


@bp.get("/me")
@operation(summary="The signed-in user", tag="account", auth="device", response=UserOut,
           before_password_change=True)
def me():
    return UserOut.of(accounts.get_user(services().store, current_device().user_id))


@bp.patch("/me")
@operation(summary="Change my display name, email or phone", tag="account", auth="device",
           body=ProfileChange, response=UserOut)
def change_profile(body: ProfileChange):
    principal = current_device()
    changes = body.model_dump(exclude_unset=True)
    user = services().identity.accounts.update_profile(principal.user_id,
                                                       device_id=principal.device_id, **changes)
    return UserOut.of(user)


@bp.post("/me/password")
@operation(summary="Change the password", tag="account", auth="device", body=PasswordChange,
           status=204, errors=(400,), before_password_change=True)
def change_password(body: PasswordChange):
    principal = current_device()
    services().identity.password_changes.change_password(
        principal.user_id, current=body.current_password, new=body.new_password,
        sign_out_others=body.sign_out_other_devices,
        by=Changer(device_id=principal.device_id, family_id=principal.family_id))
    return Response(status=204)


@bp.get("/devices")
@operation(summary="The user's devices", tag="devices", auth="device", response=DeviceList)
def list_devices():
    principal = current_device()
    found = devices.list_devices(services().store, principal.user_id)
    return DeviceList(devices=[DeviceOut.of(d, principal.device_id) for d in found])


@bp.delete("/devices/<device_id>")
@operation(summary="Revoke one of the user's devices", tag="devices", auth="device",
           response=DeviceOut, errors=(404,))
def revoke_device(device_id: str):
    principal = current_device()
    device = services().identity.devices.revoke(principal.user_id, device_id)
    return DeviceOut.of(device, principal.device_id)
