"""Writing and publishing policy versions, for administrators: the page, what a version
published now would change (and whom it would ask again), and publishing it in Chinese
and English."""

from __future__ import annotations

from typing import Literal

from flask import Blueprint
from pydantic import AwareDatetime, BaseModel, Field

from gateway import consent
from gateway.consent import drafts
from gateway.consent.policy_texts import MAX_SUMMARY, MAX_TEXT
from gateway.push import announcements
from gateway.web.api import Model, operation
from gateway.web.auth import current_web_session
from gateway.web.consent_schemas import VERSION, NoticeOut, PolicyOut
from gateway.web.context import services
from gateway.web.i18n import language
from gateway.web.pages import signed_in_page

bp = Blueprint("admin_policies", __name__)
TAG = "admin"
Ticked = Field(default_factory=list, max_length=64,
               description="Purposes whose consents must be asked again, besides those "
                           "computed (GET /api/v1/admin/policies/changes)")


class PolicyTextIn(Model):
    summary: str = Field(default="", max_length=MAX_SUMMARY, description="What changed")
    text: str = Field(default="", max_length=MAX_TEXT, description="The full text")


class NewPolicyIn(Model):
    version: str = Field(pattern=VERSION)
    texts: dict[Literal["zh", "en"], PolicyTextIn] = Field(
        default_factory=dict, description="Summary and text in Chinese (zh) and English (en); "
        "publishing is refused (naming the field, e.g. texts.en.text) while either is missing")
    changes: list[str] = Ticked
    effective_at: AwareDatetime | None = Field(default=None, description="Default: now")


class PolicyDraftIn(Model):
    version: str = Field(default="", max_length=32, description="The label the notices name")
    changes: list[str] = Ticked


class PolicyChangesOut(BaseModel):
    changes: list[str] = Field(description="Purposes whose coverage (wording in every "
                               "language, sensitivity, retention) differs from the newest "
                               "version's: a version published now changes them, and their "
                               "consents are asked again, whatever is ticked")
    users_asked_again: int = Field(description="Users with a decision on one of them")
    users_losing_grants: int = Field(description="Users whose grant of one of them stops "
                                     "counting until they answer again")


class PolicyDraftOut(PolicyChangesOut):
    computed: list[str] = Field(description="Those changed whatever is ticked")
    partners: list[str] = Field(description="Partner systems whose sharing is asked again")
    notices: list[NoticeOut] = Field(description="Each changed purpose's notice in every "
                                     "language, as the app will show it")


@bp.get("/admin/policies")
@operation(summary="Policy versions, for administrators: write, preview and publish",
           tag="pages", produces="text/html")
def page():
    return signed_in_page("admin-policies.html", admin=True)


@bp.get("/api/v1/admin/policies/changes")
@operation(summary="Which purposes a version published now changes (asked again), and "
                   "how many users that asks again", tag=TAG, auth="admin",
           response=PolicyChangesOut)
def policy_changes():
    svc = services()
    with svc.store.read() as connection:
        changes = consent.computed_changes(connection, svc.catalogue)
        asked, losing = drafts.deciders(connection, changes)
    return PolicyChangesOut(changes=changes, users_asked_again=asked,
                            users_losing_grants=losing)


@bp.post("/api/v1/admin/policies/preview")
@operation(summary="What publishing a version now, with the purposes ticked, would change: "
                   "purposes, partners, users asked again, and the notices they would see",
           tag=TAG, auth="admin", body=PolicyDraftIn, response=PolicyDraftOut,
           errors=(400, 404))
def preview(body: PolicyDraftIn):
    svc = services()
    with svc.store.read() as connection:
        found = drafts.draft(connection, svc.clock, svc.catalogue, version=body.version or "…",
                             ticked=body.changes)
    return PolicyDraftOut(
        changes=list(found.changes), computed=list(found.computed),
        partners=list(found.partners), users_asked_again=found.users_asked_again,
        users_losing_grants=found.users_losing_grants,
        notices=[NoticeOut.of(notice) for notice in found.notices])


@bp.post("/api/v1/admin/policies")
@operation(summary="Publish a policy version in Chinese and English (immutable afterwards)",
           tag=TAG, auth="admin", body=NewPolicyIn, response=PolicyOut, status=201,
           errors=(400, 404, 409))
def publish(body: NewPolicyIn):
    svc = services()
    policy = consent.publish_policy(
        svc.store, svc.clock, svc.catalogue, version=body.version,
        texts={code: consent.PolicyText(words.summary, words.text)
               for code, words in body.texts.items()},
        changes=body.changes, effective_at=body.effective_at,
        published_by=current_web_session(admin=True).user_id)
    announcements.policy_published(svc.store, svc.clock, policy,
                                   default_language=svc.settings.default_language)
    return PolicyOut.of(policy, language())
