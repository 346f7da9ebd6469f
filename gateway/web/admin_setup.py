"""The admin home's set-up checklist over HTTP, in the reader's language."""

from __future__ import annotations

from flask import Blueprint
from pydantic import BaseModel

from gateway.checklist import checklist
from gateway.web.api import operation
from gateway.web.context import services
from gateway.web.problems import words

bp = Blueprint("admin_setup", __name__)


class ItemOut(BaseModel):
    level: str
    check: str
    advice: str
    fix_url: str | None


class Checklist(BaseModel):
    items: list[ItemOut]


@bp.get("/api/v1/admin/setup")
@operation(summary="The set-up checklist: what this deployment still needs, and where each "
                   "item is fixed", tag="admin", auth="admin", response=Checklist)
def setup_checklist():
    return Checklist(items=[ItemOut(level=item.level, check=words(item.check, item.params),
                                    advice=words(item.advice, item.params), fix_url=item.fix_url)
                            for item in checklist(services())])
