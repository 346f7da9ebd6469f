"""Request and response bodies of the push part of the admin console."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, Field

from gateway.push import topics
from gateway.push.alerts import Alert
from gateway.web.api import Model
from gateway.web.push_send import PLAIN, NotificationOut, Urgency
from gateway.web.shown import shown


class KeyOut(BaseModel):
    kid: str
    public_key: str
    state: Literal["current", "previous", "retired"]
    created_at: datetime
    retired_at: datetime | None
    subscriptions: int = 0


class SettingsOut(BaseModel):
    subject: str | None
    subject_source: str
    keys: list[KeyOut]
    builtin_hosts: list[str]
    operator_hosts: list[str]
    console_hosts: list[str]
    allow_insecure_local: bool
    worker: str


class SettingsIn(Model):
    subject: str | None = Field(default=None, max_length=320, pattern=r"^[!-~]*$",
                                description="https URL or mailto: address; empty clears")
    hosts: list[Annotated[str, Field(max_length=253, pattern=r"^[!-~]+$")]] | None = Field(
        default=None, max_length=50, description="Extra push service hosts (the full list)")


class TopicIn(Model):
    title: str = Field(min_length=1, max_length=128, pattern=PLAIN)
    description: str = Field(default="", max_length=1000, pattern=PLAIN)
    ttl: int = Field(ge=0, le=topics.MAX_TTL)
    urgency: Urgency = "normal"


class TopicOut(BaseModel):
    name: str
    title: str
    description: str
    ttl: int
    urgency: str


class TopicList(BaseModel):
    topics: list[TopicOut]


AlertOut = shown(Alert)


class AlertList(BaseModel):
    alerts: list[AlertOut]


class NotificationList(BaseModel):
    notifications: list[NotificationOut]


class HistoryQuery(Model):
    limit: int = Field(default=50, ge=1, le=200)
    before: AwareDatetime | None = None


class DeliveryOut(BaseModel):
    id: int
    user_id: str
    device_id: str
    origin: str
    state: str
    attempts: int
    last_status: int | None
    reason: str | None
    updated_at: datetime
    delivered_at: datetime | None
    displayed_at: datetime | None


class NotificationDetail(NotificationOut):
    deliveries: list[DeliveryOut]


class StatsQuery(Model):
    hours: int = Field(default=24, ge=1, le=24 * 14)


class StatsPoint(BaseModel):
    at: datetime
    counts: dict[str, int]


class StatsOut(BaseModel):
    step_seconds: int
    points: list[StatsPoint]


class TestIn(Model):
    # Left out, the test says "Test notification" in the language of the admin's page.
    title: str | None = Field(default=None, min_length=1, max_length=200, pattern=PLAIN)
    body: str | None = Field(default=None, max_length=1000, pattern=PLAIN)
