"""Partner systems (agreement 5): the operator configures them, the BI server asks for a
disclosure, the user sees every one."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from flask import Blueprint
from pydantic import BaseModel, Field

from gateway.core.errors import NotFound
from gateway.identity import accounts
from gateway.privacy import partner_overview, partner_terms, partners
from gateway.web.api import Model, operation
from gateway.web.auth import current_device, current_web_session
from gateway.web.context import services
from gateway.web.i18n import language

bp = Blueprint("partners", __name__, url_prefix="/api/v1")
PartnerName = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
# The fixed list of purposes data may be shared for (agreement 4: running the system only).
PartnerPurpose = Literal[tuple(partner_terms.PURPOSES)]  # type: ignore[valid-type]


class PartnerConfig(Model):
    webhook_url: str = Field(min_length=8, max_length=512)
    fields: list[str] = Field(min_length=1, max_length=len(partners.FIELDS))
    recipient: str = Field(min_length=1, max_length=128, description="Who receives the data")
    contact: str = Field(min_length=3, max_length=254,
                         description="How to reach the recipient (e-mail or URL)")
    purpose: PartnerPurpose = Field(description="What the data is shared for")


class PartnerDisclosureOut(BaseModel):
    fields: list[str]
    reason: str
    sent_at: datetime
    outcome: str


class PartnerOut(BaseModel):
    name: str
    configured: bool = Field(description="A webhook is set")
    complete: bool = Field(description="Recipient, contact, purpose and webhook are all set: "
                           "data may be shared with consent")
    recipient: str | None
    contact: str | None
    purpose: str | None
    fields: list[str]
    webhook_url: str | None
    webhook_host: str | None
    updated_at: datetime | None
    grants: int = Field(description="Users whose consent covers the current terms")
    stale_grants: int = Field(description="Users who consented to earlier terms: asked again, "
                              "nothing is shared about them until they answer")
    disclosures: int = Field(description="How many disclosures were made to it")
    recent: list[PartnerDisclosureOut] = Field(description="The newest disclosures")

    @classmethod
    def of(cls, found: partner_overview.PartnerOverview) -> PartnerOut:
        terms = found.terms
        return cls(
            name=found.name, configured=found.webhook_url is not None,
            complete=terms is not None, recipient=terms and terms.recipient,
            contact=terms and terms.contact, purpose=terms and terms.purpose,
            fields=list(found.fields), webhook_url=found.webhook_url,
            webhook_host=terms and terms.host, updated_at=found.updated_at,
            grants=found.grants, stale_grants=found.stale_grants, disclosures=found.disclosures,
            recent=[PartnerDisclosureOut(fields=list(d.fields), reason=d.reason,
                                         sent_at=d.sent_at, outcome=d.outcome)
                    for d in found.recent])


class PartnerList(BaseModel):
    partners: list[PartnerOut]
    fields: list[str]
    purposes: list[str]
    field_names: dict[str, str] = Field(description="Each field in the reader's language")
    purpose_names: dict[str, str] = Field(description="Each purpose in the reader's language")


class DisclosureRequest(Model):
    username: str = Field(min_length=1, max_length=64)
    reason: PartnerPurpose = Field(description="The purpose: the one the partner is "
                                               "configured, and the user consented, for")


class DisclosureOut(BaseModel):
    partner: str
    fields: list[str]
    reason: str
    sent_at: datetime
    outcome: str

    @classmethod
    def of(cls, disclosure: partners.Disclosure) -> DisclosureOut:
        return cls(partner=disclosure.partner, fields=list(disclosure.fields),
                   reason=disclosure.reason, sent_at=disclosure.sent_at,
                   outcome=disclosure.outcome)


class DisclosureList(BaseModel):
    disclosures: list[DisclosureOut]


@bp.get("/admin/partners")
@operation(summary="The partner systems named in the settings: terms, webhook, whose consent "
                   "covers them, and disclosures", tag="admin", auth="admin",
           response=PartnerList)
def list_partners():
    svc = services()
    with svc.store.read() as connection:
        found = partner_overview.overview(connection, svc.catalogue, svc.settings.partners)
    words = language()
    return PartnerList(
        partners=[PartnerOut.of(partner) for partner in found],
        fields=list(partners.FIELDS), purposes=list(partner_terms.PURPOSES),
        field_names={name: partner_terms.FIELD_NAMES[name][words] for name in partners.FIELDS},
        purpose_names={name: texts[words] for name, texts in partner_terms.PURPOSES.items()})


@bp.put("/admin/partners/<name>")
@operation(summary="Set a partner's recipient, webhook, purpose and the fields it gets "
                   "(existing consents to other terms stop counting)", tag="admin",
           auth="admin", body=PartnerConfig, status=204, errors=(400, 404))
def configure_partner(name: str, body: PartnerConfig):
    svc = services()
    partners.configure(svc.store, svc.clock, svc.catalogue, name=name,
                       webhook_url=body.webhook_url, fields=body.fields,
                       recipient=body.recipient, contact=body.contact, purpose=body.purpose,
                       by=current_web_session().user_id)
    return "", 204


@bp.post("/partners/<name>/disclosures")
@operation(summary="Hand a user's configured fields to a partner (needs their consent)",
           tag="partners", auth="integration", scope="partners:share", body=DisclosureRequest,
           response=DisclosureOut, status=201, errors=(400, 403, 404))
def disclose(name: str, body: DisclosureRequest):
    svc = services()
    user = accounts.find_user(svc.store, body.username)
    if user is None:
        raise NotFound("There is no such user.")
    return DisclosureOut.of(partners.share(svc.store, svc.clock, svc.catalogue, partner=name,
                                           user_id=user.id, reason=body.reason))


@bp.get("/me/disclosures")
@operation(summary="What was shared about me, with whom, and when", tag="account",
           auth="device", response=DisclosureList)
def my_disclosures():
    with services().store.read() as connection:
        found = partners.disclosures_of(connection, current_device().user_id)
    return DisclosureList(disclosures=[DisclosureOut.of(d) for d in found])
