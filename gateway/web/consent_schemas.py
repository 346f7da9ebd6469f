"""Request and response bodies of the consent endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from gateway import consent
from gateway.consent.purposes import Purpose, Wording
from gateway.consent.selfservice import DeviceHistory, PurposeState
from gateway.web.api import Model
from gateway.web.shown import shown

LANGUAGE = r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8}){0,3}$"
DEVICE = r"^[0-9a-f]{32}$"
VERSION = r"^[0-9A-Za-z][0-9A-Za-z._-]{0,31}$"


class LanguageQuery(Model):
    lang: str | None = Field(default=None, pattern=LANGUAGE, max_length=35,
                             description="Language of the notices (en, zh); else "
                             "Accept-Language, else English")


class NoticeOut(BaseModel):
    purpose: str
    policy_version: str
    language: str
    text: str
    hash: str = Field(description="SHA-256 of the text; send it back with the decision")

    @classmethod
    def of(cls, notice: consent.Notice | None) -> NoticeOut | None:
        if notice is None:
            return None
        return cls(purpose=notice.purpose, policy_version=notice.policy_version,
                   language=notice.language, text=notice.text, hash=notice.hash)


class PermissionOut(BaseModel):
    name: str
    title: str
    why: str
    function: str
    data: list[str]

    @classmethod
    def of(cls, name: str, wording: Wording) -> PermissionOut:
        return cls(name=name, title=wording.title, why=wording.why, function=wording.function,
                   data=list(wording.data))


class PurposeOut(PermissionOut):
    sensitive: bool
    notice: NoticeOut | None = Field(description="The notice under the current policy")

    @classmethod
    def of_purpose(cls, purpose: Purpose, language: str,
                   notice: consent.Notice | None) -> PurposeOut:
        base = PermissionOut.of(purpose.name, purpose.wording(language))
        return cls(**base.model_dump(), sensitive=purpose.sensitive, notice=NoticeOut.of(notice))


class CatalogueOut(BaseModel):
    language: str
    policy_version: str | None
    required: list[PermissionOut] = Field(
        description="Permissions the app cannot run without (agreement 1.3); not consents")
    purposes: list[PurposeOut] = Field(description="Each a separate, revocable consent")


class PolicyTextOut(BaseModel):
    summary: str = Field(description="What changed")
    text: str
    hash: str = Field(description="SHA-256 of the text in this language")

    @classmethod
    def of(cls, words: consent.PolicyText) -> PolicyTextOut:
        return cls(summary=words.summary, text=words.text, hash=words.hash)


class PolicyOut(BaseModel):
    version: str
    language: str = Field(description="The language of summary and text: the one asked for "
                          "(lang, else Accept-Language), else English")
    summary: str = Field(description="What changed, in that language")
    changes: list[str] = Field(description="The purposes this version asks about again")
    effective_at: datetime
    published_at: datetime
    text_hash: str = Field(description="SHA-256 of the version's whole record (every language)")
    text: str = Field(description="The full text in that language")
    texts: dict[str, PolicyTextOut] = Field(description="Summary and text in each language "
                                            "(zh, en)")

    @classmethod
    def of(cls, policy: consent.PolicyVersion, language: str = "en") -> PolicyOut:
        words = policy.in_language(language)
        return cls(version=policy.version, language=language, summary=words.summary,
                   changes=list(policy.changes), effective_at=policy.effective_at,
                   published_at=policy.published_at, text_hash=policy.text_hash,
                   text=words.text,
                   texts={code: PolicyTextOut.of(policy.in_language(code))
                          for code in ("zh", "en")})


class PolicyList(BaseModel):
    policies: list[PolicyOut] = Field(description="Newest first, including future ones")
    current: str | None = Field(description="The version in effect now")


class PolicyAnnouncement(BaseModel):
    version: str
    summary: str
    changes: list[str]
    effective_at: datetime
    text_hash: str
    unseen: bool = Field(description="The user has not acknowledged this version yet")
    first: bool = Field(description="The first version published: it updates nothing")


class ConsentStateOut(BaseModel):
    purpose: str
    title: str
    sensitive: bool
    state: Literal["granted", "refused", "withdrawn", "undecided"]
    granted: bool = Field(description="Whether the function may be used now")
    stale: bool = Field(description="Decided under a policy version a newer one changed")
    needs_decision: bool
    reason: Literal["undecided", "policy_changed", "terms_changed"] | None = Field(
        description="Why a decision is needed: undecided, the policy changed, or what the "
        "purpose covers (a partner's recipient, purpose, fields) changed")
    decided_at: datetime | None
    policy_version: str | None
    method: str | None
    event_id: str | None
    notice: NoticeOut | None = None

    @classmethod
    def of(cls, purpose: Purpose, status: consent.ConsentStatus, language: str = "en",
           notice: consent.Notice | None = None) -> ConsentStateOut:
        event = status.last_event
        return cls(
            purpose=purpose.name, title=purpose.wording(language).title,
            sensitive=purpose.sensitive, state=status.state, granted=status.granted,
            stale=status.stale, needs_decision=status.needs_decision, reason=status.reason,
            decided_at=event and event.server_time, policy_version=event and event.policy_version,
            method=event and event.method, event_id=event and event.id,
            notice=NoticeOut.of(notice),
        )

    @classmethod
    def of_state(cls, state: PurposeState, language: str) -> ConsentStateOut:
        return cls.of(state.purpose, state.status, language, state.notice)


class ConsentsOut(BaseModel):
    device_id: str
    language: str
    policy: PolicyAnnouncement | None
    needs_decision: list[str] = Field(
        description="Purposes to ask about when their function is next used")
    purposes: list[ConsentStateOut]


class DecisionIn(Model):
    purpose: str = Field(min_length=1, max_length=96)
    decision: Literal["granted", "refused", "withdrawn"]
    policy_version: str = Field(pattern=VERSION)
    notice_hash: str = Field(pattern=r"^[0-9a-f]{64}$", description="Hash of the notice shown")
    language: str = Field(default="en", pattern=LANGUAGE, max_length=35)
    method: Literal["in_app_dialog", "settings_toggle", "os_permission_sync"] = "in_app_dialog"
    client_time: AwareDatetime | None = Field(default=None, description="The phone's clock")
    app_version: str | None = Field(default=None, min_length=1, max_length=64)
    os_permission: Literal[consent.OS_PERMISSIONS] | None = Field(  # type: ignore[valid-type]
        default=None, description="What the phone's OS allows for this permission")
    device_id: str | None = Field(default=None, description="Another of your devices "
                                  "(withdrawals only); default this one",
                                  pattern=DEVICE)


class _Receipted(BaseModel):
    receipt_url: str

    @classmethod
    def of(cls, event: consent.ConsentEvent) -> BaseModel:
        """A decision as its device is told it, with where its signed receipt is."""
        return cls(**{name: getattr(event, name) for name in cls.model_fields
                      if name != "receipt_url"},
                   receipt_url=f"/api/v1/consents/{event.id}/receipt")


# A decision as its device sees it: the ledger's chaining and the user id stay inside.
EventOut = shown(consent.ConsentEvent, hide=("seq", "user_id", "prev_hash", "hash"),
                 base=_Receipted, name="EventOut")


class DecisionOut(BaseModel):
    event: EventOut
    status: ConsentStateOut


class WithdrawQuery(Model):
    device_id: str | None = Field(default=None, pattern=DEVICE)


class WithdrawalOut(BaseModel):
    withdrawn: bool = Field(description="False when it was not granted (nothing written)")
    event: EventOut | None
    status: ConsentStateOut


class HistoryQuery(Model):
    device_id: str | None = Field(default=None, pattern=DEVICE)
    purpose: str | None = Field(default=None, min_length=1, max_length=96)


class PurposeHistoryOut(BaseModel):
    purpose: str
    state: str = Field(description="The last decision (before any policy change)")
    events: list[EventOut] = Field(description="Oldest first")


class DeviceHistoryOut(BaseModel):
    device_id: str
    model: str | None
    os: str | None
    current: bool
    revoked: bool
    purposes: list[PurposeHistoryOut]

    @classmethod
    def of(cls, found: DeviceHistory, current_id: str) -> DeviceHistoryOut:
        grouped: dict[str, list[consent.ConsentEvent]] = {}
        for event in found.events:
            grouped.setdefault(event.purpose, []).append(event)
        device = found.device
        return cls(
            device_id=found.device_id, model=device and device.model, os=device and device.os,
            current=found.device_id == current_id,
            revoked=device is None or device.revoked_at is not None,
            purposes=[PurposeHistoryOut(purpose=name, state=events[-1].decision,
                                        events=[EventOut.of(e) for e in events])
                      for name, events in grouped.items()],
        )


class HistoryOut(BaseModel):
    devices: list[DeviceHistoryOut]


class ReceiptOut(BaseModel):
    event_id: str
    receipt: str = Field(description="A JWT (ES256) after the Kantara Consent Receipt")
    jwks_uri: str


class PolicySeenIn(Model):
    version: str = Field(pattern=VERSION)
