"""The purpose catalogue: every permission the app may ask for, and why.

A purpose not in the catalogue cannot be consented to or checked. ``partner_sharing``
exists once per partner system the operator configures, as ``partner_sharing:<name>``.
Each purpose says what it is for in every language the notices are written in
(``LANGUAGES``); English is the fallback. ``REQUIRED_PERMISSIONS`` are the two the app
cannot work without (agreement 1.3): they are explained, not consented to.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import Connection

from gateway.core.clock import Clock
from gateway.core.errors import NotFound

LANGUAGES = ("en", "zh")
DEFAULT_LANGUAGE = "en"


class UnknownPurpose(NotFound):
    slug = "unknown-purpose"
    title = "No such permission"


@dataclass(frozen=True)
class Wording:
    """What a purpose (or a required permission) is for, in one language."""

    title: str
    why: str
    function: str
    data: tuple[str, ...]


@dataclass(frozen=True)
class Purpose:
    name: str
    title: str
    why: str
    function: str
    data: tuple[str, ...]
    sensitive: bool = False
    # (language, wording) pairs beyond English; a tuple keeps the dataclass hashable.
    translations: tuple[tuple[str, Wording], ...] = field(default=(), compare=False)
    kept_days: int | None = None  # how long its data is kept (a setting), told in the notice

    def wording(self, language: str = DEFAULT_LANGUAGE) -> Wording:
        """The purpose's texts in *language*, English when there is no translation."""
        for code, wording in self.translations:
            if code == language:
                return wording
        return Wording(self.title, self.why, self.function, self.data)

    def coverage(self) -> str:
        """A digest of what the purpose covers: its wording in every language, whether it
        is sensitive, and how long its data is kept. A policy version records it per
        purpose; publishing compares it with the previous version's (re-consent)."""
        stated = {"sensitive": self.sensitive, "kept_days": self.kept_days,
                  "wording": {code: dataclasses.asdict(self.wording(code)) for code in LANGUAGES}}
        canonical = json.dumps(stated, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


BASE_PURPOSES = (
    Purpose(
        "camera", "Camera",
        "Scan QR codes with the app's own scanner.",
        "Scan to log in to the server and scan to preview a report (agreement 1.4)",
        ("camera frames, read on the phone only; never uploaded",),
        translations=(("zh", Wording(
            "相机", "使用应用内扫描器扫描二维码。",
            "扫码登录服务器和扫码预览报表（协议第 1.4 条）",
            ("相机画面仅在手机上识别，从不上传",))),),
    ),
    Purpose(
        "push", "Notifications",
        "Receive notifications about sign-ins, reports and announcements.",
        "Push notifications (agreement 1.5)",
        ("push subscription endpoint and keys", "delivery and display receipts",
         "each notification passes through the push service of your phone or browser "
         "(Google, Apple, Mozilla or Microsoft): it leaves this server, often for another "
         "country; the privacy centre names yours",
         "not needed for the app's own inbox: every message also waits there, on this server, "
         "for the inbox period the privacy centre states, and shows at once while the app is "
         "open; this consent adds notifications from your phone's system"),
        translations=(("zh", Wording(
            "通知", "接收有关登录、报表和公告的通知。", "推送通知（协议第 1.5 条）",
            ("推送订阅地址和密钥", "送达和展示回执",
             "每条通知都经由您手机或浏览器的推送服务（Google、Apple、Mozilla 或 Microsoft）"
             "传递：通知会离开本服务器，且常常去往其他国家；隐私中心会列出您使用的推送服务",
             "应用内收件箱不需要此项同意：每条消息也会保存在本服务器的收件箱中，保存期限见隐私中心，"
             "应用打开时会立即显示；此项同意只增加手机系统的通知"))),),
    ),
    Purpose(
        "location", "Precise location",
        "Record the phone's GPS position or Wi-Fi access point with device reports, so that "
        "when you approve a sign-in on a computer, the app can warn you that the computer "
        "is far from where your phone is (your newest position of the last 15 minutes is "
        "compared with the computer's city; it is shown to no one else). Withdrawing this "
        "permission deletes the stored positions at once.",
        "Device information (agreement 1.2.1) and the far-away warning of scan to log in",
        ("GPS position", "Wi-Fi access point"),
        sensitive=True,
        translations=(("zh", Wording(
            "精确位置",
            "在设备报告中记录手机的 GPS 位置或 Wi-Fi 接入点，以便您在手机上批准电脑登录时，"
            "若该电脑离您手机所在之处很远，应用可以提醒您（仅用您最近 15 分钟内的最新位置"
            "与电脑所在城市比较，不会展示给任何其他人）。撤回此权限会立即删除已保存的位置。",
            "设备信息（协议第 1.2.1 条）及扫码登录的远距离提醒", ("GPS 位置", "Wi-Fi 接入点"))),),
    ),
)

# Agreement 1.3: without these the app cannot run at all, so they are explained up front
# rather than asked for one by one; they are not purposes and cannot be refused here.
REQUIRED_PERMISSIONS = (
    ("storage", {
        "en": Wording("Phone storage", "Keep the app's sign-in and settings on the phone.",
                      "Every function of the app (agreement 1.3)",
                      ("sign-in tokens", "the app's settings")),
        "zh": Wording("手机存储", "在手机上保存应用的登录状态和设置。",
                      "应用的全部功能（协议第 1.3 条）", ("登录令牌", "应用设置")),
    }),
    ("network", {
        "en": Wording("Network access", "Reach this gateway on your organisation's server.",
                      "Every function of the app (agreement 1.3)",
                      ("the requests the app makes to this gateway",)),
        "zh": Wording("网络访问", "连接到贵单位服务器上的本网关。",
                      "应用的全部功能（协议第 1.3 条）", ("应用发往本网关的请求",)),
    }),
)

PARTNER_PREFIX = "partner_sharing:"


def partner_purpose(partner: str) -> Purpose:
    """The purpose of sharing data with the partner system *partner* (agreement 5)."""
    return Purpose(
        f"{PARTNER_PREFIX}{partner}", f"Sharing with {partner}",
        f"Send the data the operator configured to the partner system {partner!r}.",
        "Information sharing with partner systems (agreement 5)",
        ("the fields the operator configured for this partner",),
        translations=(("zh", Wording(
            f"与 {partner} 共享", f"将运营方配置的数据发送到合作系统“{partner}”。",
            "与合作系统共享信息（协议第 5 条）", ("运营方为该合作方配置的字段",))),),
    )


# undo(connection, clock, user_id, device_id): what withdrawing or refusing a purpose on a
# device undoes, run in the transaction that records the decision.
WithdrawalHook = Callable[[Connection, Clock, str, str], None]
# terms(connection, purpose, language) -> what the purpose covers now beyond its wording
# (a partner's recipient, purpose and fields), stated in its notice; None when nothing.
TermsSource = Callable[[Connection, str, str], "str | None"]


class Catalogue:
    """The purposes of one gateway (the base ones plus one per configured partner), and
    what withdrawing each undoes elsewhere (agreement 1.4, 1.5: only its own function)."""

    def __init__(self, purposes: tuple[Purpose, ...],
                 withdrawn: Mapping[str, tuple[WithdrawalHook, ...]] | None = None,
                 terms: TermsSource | None = None) -> None:
        self._purposes = {purpose.name: purpose for purpose in purposes}
        self._withdrawn = dict(withdrawn or {})
        self._terms = terms

    @classmethod
    def for_partners(cls, partners: tuple[str, ...] = (),
                     withdrawn: Mapping[str, tuple[WithdrawalHook, ...]] | None = None,
                     terms: TermsSource | None = None,
                     kept_days: Mapping[str, int] | None = None) -> Catalogue:
        """The base purposes and one per partner; *terms* says what each partner purpose
        covers now (``gateway.privacy.partner_terms.notice_terms``), *kept_days* how long
        each purpose's data is kept (from the retention settings)."""
        kept = kept_days or {}
        purposes = BASE_PURPOSES + tuple(partner_purpose(p) for p in partners)
        return cls(tuple(dataclasses.replace(p, kept_days=kept.get(p.name)) for p in purposes),
                   withdrawn, terms)

    def with_purpose(self, purpose: Purpose) -> Catalogue:
        """A catalogue with one more purpose (a new function, agreement 1.6)."""
        return Catalogue(tuple(self._purposes.values()) + (purpose,), self._withdrawn,
                         self._terms)

    def has_terms(self, purpose: str) -> bool:
        """Whether *purpose* covers terms set at run time (a partner's), which its notice
        states and a grant must match."""
        return self._terms is not None and purpose.startswith(PARTNER_PREFIX)

    def terms(self, connection: Connection, purpose: str, language: str) -> str | None:
        """What *purpose* covers now beyond its wording, in *language*; None if nothing."""
        return self._terms(connection, purpose, language) if self.has_terms(purpose) else None

    def withdrawn(self, purpose: str) -> tuple[WithdrawalHook, ...]:
        """What withdrawing or refusing *purpose* undoes (nothing for most purposes)."""
        return self._withdrawn.get(purpose, ())

    def get(self, name: str) -> Purpose:
        """The purpose called *name*. Raises ``UnknownPurpose`` (a ``NotFound``) when the
        catalogue has none."""
        try:
            return self._purposes[name]
        except KeyError:
            raise UnknownPurpose("\"{name}\" is not a permission this gateway asks for.",
                                 params={"name": name},
                                 purpose=name) from None

    def __iter__(self):
        return iter(self._purposes.values())

    def __contains__(self, name: str) -> bool:
        return name in self._purposes

    def names(self) -> tuple[str, ...]:
        return tuple(self._purposes)
