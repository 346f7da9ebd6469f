"""Request and response bodies of scan to connect a phone."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from gateway.web import waiting
from gateway.web.api import Model
from gateway.web.schemas import DeviceIn

SECRET_HEADER = "X-Enrollment-Secret"
State = Literal["offered", "claimed", "approved", "collected", "denied", "expired"]


class PhoneOut(BaseModel):
    model: str
    os: str
    os_version: str
    place: str | None
    network: str | None
    claimed_at: datetime


class OfferStatusOut(BaseModel):
    state: State
    expires_at: datetime
    choices: list[int] | None = Field(description="Pick the number the phone shows")
    phone: PhoneOut | None = Field(description="The phone that claimed the offer")


class Wait(BaseModel):
    events: str
    poll: str


class OfferOut(OfferStatusOut):
    id: str
    qr: str = Field(description="The link the QR code carries: this gateway's address")
    qr_png_url: str
    qr_svg_url: str
    code: str = Field(description="The code to type on a phone that cannot scan")
    expires_in: int
    wait: Wait


class WaitQuery(Model):
    known: State
    seconds: int = Field(default=waiting.MAX_POLL_SECONDS, ge=1, le=waiting.MAX_POLL_SECONDS)


class NumberIn(Model):
    number: int = Field(ge=10, le=99)


class EmptyIn(Model):
    pass


class DecisionIn(Model):
    purpose: str = Field(min_length=1, max_length=96)
    decision: Literal["granted", "refused"]
    policy_version: str = Field(min_length=1, max_length=32)
    notice_hash: str = Field(min_length=64, max_length=64, pattern=r"^[0-9a-f]{64}$")
    language: str = Field(default="en", min_length=2, max_length=16)
    os_permission: str | None = Field(default=None, max_length=24)
    client_time: datetime | None = None


class ClaimIn(Model):
    token: str | None = Field(default=None, min_length=16, max_length=64,
                              pattern=r"^[A-Za-z0-9_-]+$")
    code: str | None = Field(default=None, min_length=1, max_length=16)
    via: Literal["link", "app_camera", "typed_code"] = "link"
    device: DeviceIn
    consents: list[DecisionIn] = Field(
        default_factory=list, max_length=16,
        description="Kept with the offer; recorded for the device only when approved")
    device_proof: str | None = Field(
        default=None, max_length=4096,
        description="Needed only when device.device_id is already one of the user's devices: "
                    "an ES256 JWT signed with that device's registered key, with aud "
                    "`enrollment`, act `enroll`, sub the device_id, iat and a unique jti")

    @model_validator(mode="after")
    def one_way_in(self):
        if (self.token is None) == (self.code is None):
            raise ValueError("send either the QR token or the typed code")
        return self


class ClaimOut(BaseModel):
    id: str
    state: State
    number: int = Field(description="Show it: the desktop user picks it to approve")
    expires_at: datetime
    claim_secret: str = Field(description=f"Send it in {SECRET_HEADER} to wait and collect")
    wait: Wait
    tokens_url: str


class PhoneStatusOut(BaseModel):
    id: str
    state: State
    number: int | None
    expires_at: datetime
