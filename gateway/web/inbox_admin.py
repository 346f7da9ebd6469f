"""The admin console's view of the channels: per notification, how many devices Web Push,
the live stream and only the inbox reached, and the same over time for the chart."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint
from pydantic import BaseModel, Field

from gateway.push import channels
from gateway.web.api import Model, operation
from gateway.web.context import services

bp = Blueprint("inbox_admin", __name__)
API = "/api/v1/admin/push"


class ChannelsQuery(Model):
    ids: str = Field(min_length=1, max_length=200 * 33, pattern=r"^[0-9a-f]{32}(,[0-9a-f]{32})*$",
                     description="Comma-separated notification ids (at most 200)")


class Reached(BaseModel):
    webpush: int = Field(description="Devices reached by Web Push (an OS notification)")
    live: int = Field(description="Devices not reached by Web Push whose open app showed it "
                      "at once (the live stream)")
    inbox: int = Field(description="The user's other active devices: only the inbox has it")
    messages: int = Field(description="Users whose inbox kept it")


class ChannelsOut(BaseModel):
    notifications: dict[str, Reached]


class ChannelStatsQuery(Model):
    hours: int = Field(default=24, ge=1, le=24 * 14)


class ChannelPoint(BaseModel):
    at: datetime
    counts: dict[str, int] = Field(description="webpush, live (devices reached), inbox "
                                   "(messages kept)")


class ChannelStatsOut(BaseModel):
    step_seconds: int
    points: list[ChannelPoint]


@bp.get(f"{API}/channels")
@operation(summary="Devices reached per channel (Web Push, live stream, inbox only), per "
           "notification", tag="admin push", auth="admin", query=ChannelsQuery,
           response=ChannelsOut, errors=(400,))
def reached(query: ChannelsQuery):
    ids = sorted(set(query.ids.split(",")))[:200]
    with services().store.read() as connection:
        found = channels.reached(connection, ids)
    return ChannelsOut(notifications={nid: Reached(**counts) for nid, counts in found.items()})


@bp.get(f"{API}/channel-stats")
@operation(summary="Devices reached over time per channel", tag="admin push", auth="admin",
           query=ChannelStatsQuery, response=ChannelStatsOut)
def channel_stats(query: ChannelStatsQuery):
    svc = services()
    with svc.store.read() as connection:
        points, step = channels.over_time(connection, svc.clock.now(), query.hours)
    return ChannelStatsOut(step_seconds=int(step.total_seconds()),
                           points=[ChannelPoint(**p) for p in points])
