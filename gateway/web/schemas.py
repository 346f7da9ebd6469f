"""Request and response bodies shared by several blueprints."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from gateway.identity.accounts import User
from gateway.identity.devices import Device
from gateway.web.api import Model

Text64 = Field(min_length=1, max_length=64)


class DeviceKey(Model):
    """An ES256 public key as a JWK (RFC 7517): EC, curve P-256."""

    kty: Literal["EC"]
    crv: Literal["P-256"]
    x: str = Field(min_length=43, max_length=43, pattern=r"^[A-Za-z0-9_-]+$")
    y: str = Field(min_length=43, max_length=43, pattern=r"^[A-Za-z0-9_-]+$")
    kid: str | None = Field(default=None, max_length=64)
    alg: Literal["ES256"] | None = None
    use: Literal["sig"] | None = None


class DeviceIn(Model):
    """What the app says about the phone it runs on."""

    device_id: str = Field(
        min_length=8, max_length=128, pattern=r"^[A-Za-z0-9._:-]+$",
        description="An identifier the app chose for this installation",
    )
    model: str = Field(min_length=1, max_length=128)
    os: str = Text64
    os_version: str = Text64
    app_version: str = Text64
    public_key: DeviceKey | None = None


class PasswordChange(Model):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=10, max_length=1024)
    sign_out_other_devices: bool = False


class UserOut(BaseModel):
    id: str
    username: str
    display_name: str
    email: str | None
    phone: str | None
    role: Literal["admin", "user"]
    groups: list[str]
    must_change_password: bool

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            id=user.id, username=user.username, display_name=user.display_name,
            email=user.email, phone=user.phone, role=user.role, groups=list(user.groups),
            must_change_password=user.must_change_password,
        )


class DeviceOut(BaseModel):
    id: str
    device_id: str
    model: str
    os: str
    os_version: str
    app_version: str
    has_key: bool
    created_at: datetime
    last_seen_at: datetime
    revoked_at: datetime | None
    current: bool = False

    @classmethod
    def of(cls, device: Device, current_id: str | None = None) -> DeviceOut:
        return cls(
            id=device.id, device_id=device.app_device_id, model=device.model, os=device.os,
            os_version=device.os_version, app_version=device.app_version,
            has_key=device.public_key is not None, created_at=device.created_at,
            last_seen_at=device.last_seen_at, revoked_at=device.revoked_at,
            current=device.id == current_id,
        )


class DeviceList(BaseModel):
    devices: list[DeviceOut]
