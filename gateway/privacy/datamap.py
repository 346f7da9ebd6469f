"""The personal-data map of every domain but push (which declares its own,
``gateway.push.personal_data``): each table holding personal data, its category, how long
it is kept, its export section and what deleting the account does to it.

``gateway.build`` joins this with push's into one ``DataMap``; export, deletion and the
purge follow it. The order is the order of deletion: what refers to devices and the
account comes first, the devices and the account's own row last.
"""

from __future__ import annotations

from sqlalchemy import select

from gateway.consent.tables import (
    consent_events,
    notices_served,
    policy_acknowledgements,
    policy_versions,
)
from gateway.core.audit_tables import operations
from gateway.core.personal_data import Holding
from gateway.enrollment.tables import enrollments
from gateway.identity.integration_tables import integration_keys
from gateway.identity.tables import (
    devices,
    memberships,
    token_families,
    used_device_proofs,
    users,
    web_sessions,
)
from gateway.oidc.tables import oidc_clients, oidc_codes, oidc_tokens
from gateway.privacy import exports, retention
from gateway.privacy.tables import deleted_accounts, device_locations, disclosures
from gateway.qrlogin.tables import qr_logins
from gateway.reports.tables import preview_grants, preview_links, report_viewer_users, reports

CODES = ("code_lookup", "code_hash")
R = retention

HOLDINGS = (
    Holding(consent_events, "consent evidence", users=("user_id",), devices=("device_id",),
            personal=("app_version",), secret=("subject_digest", "prev_hash", "hash"),
            kept="for the account's life, then GATEWAY_RETAIN_CONSENT_AFTER_ACCOUNT_DAYS; "
                 "after that the decisions stay naming no one",
            section="consents", exporter=exports.consents, erasure="keep",
            retention=(R.CONSENT_EVIDENCE,)),
    Holding(notices_served, "consent evidence", users=("user_id",), devices=("device_id",),
            kept="GATEWAY_RETAIN_NOTICE_DAYS", section="notices_served",
            retention=(R.NOTICES,)),
    Holding(policy_acknowledgements, "consent evidence", users=("user_id",),
            devices=("device_id",), kept="GATEWAY_RETAIN_NOTICE_DAYS (the version in effect: "
                                         "while it is)",
            section="policy_acknowledgements", retention=(R.NOTICES,)),
    Holding(policy_versions, "administration", users=("published_by",),
            kept="for ever (the published agreement); who published it until deletion",
            section="policies_published", erasure="anonymise"),
    Holding(operations, "log", users=("actor",), devices=("device_id",), personal=("ip",),
            secret=("prev_hash", "hash"), kept="GATEWAY_RETAIN_OPERATION_LOG_DAYS; addresses "
                                               "cut to their network when written",
            section="activity", exporter=exports.activity, erasure="keep",
            retention=(R.OPERATION_LOG,)),
    Holding(deleted_accounts, "consent evidence", users=("user_id",),
            kept="GATEWAY_RETAIN_CONSENT_AFTER_ACCOUNT_DAYS after the deletion",
            erasure="keep", retention=(R.CONSENT_EVIDENCE,)),
    Holding(disclosures, "partner sharing", users=("user_id",), personal=("fields", "reason"),
            kept="for the account's life", section="disclosures", exporter=exports.disclosures),
    Holding(device_locations, "location", users=("user_id",), devices=("device_id",),
            personal=("latitude", "longitude", "accuracy_m", "precision", "wifi_bssid",
                      "wifi_ssid"),
            kept="GATEWAY_RETAIN_LOCATION_DAYS; at once when location consent is withdrawn",
            section="locations", retention=(R.PRECISE_LOCATION,)),
    Holding(qr_logins, "sign-in", users=("user_id",), devices=("device_id",),
            personal=("browser", "os", "network", "place", "place_names", "country",
                      "place_latitude", "place_longitude", "place_radius_km", "return_url"),
            secret=("browser_hash", "csrf_hash", "nonce", "return_state") + CODES,
            kept="GATEWAY_RETAIN_ENDED_FLOW_HOURS after it ends", section="qr_logins",
            retention=(R.ENDED_FLOWS,)),
    Holding(enrollments, "sign-in", users=("user_id",), devices=("device_id",),
            personal=("device", "consents", "network", "place"),
            secret=("session_hash", "claim_hash") + CODES,
            kept="GATEWAY_RETAIN_ENDED_FLOW_HOURS after it ends", section="enrollments",
            retention=(R.ENDED_FLOWS,)),
    Holding(preview_grants, "report access", users=("user_id", "revoked_by"),
            devices=("device_id",), kept="GATEWAY_RETAIN_SESSION_DAYS after it ends",
            section="preview_grants", retention=(R.PREVIEWS,)),
    Holding(preview_links, "report access", users=("created_by",),
            secret=("token_hash", "code_hash"), kept="GATEWAY_RETAIN_SESSION_DAYS after it ends",
            section="preview_links", retention=(R.PREVIEWS,)),
    Holding(report_viewer_users, "report access", users=("user_id",),
            kept="while the report is shared with the user", section="reports_shared_with_me"),
    Holding(reports, "report access", users=("owner_id",),
            impersonal=("updated_by",),  # the id of the integration key that registered it
            kept="while the BI server keeps the report registered; the owner until deletion",
            section="reports_owned", erasure="anonymise"),
    Holding(integration_keys, "administration", users=("created_by",), secret=("key_hash",),
            kept="while the key exists; who made it until deletion",
            section="integration_keys_made", erasure="anonymise"),
    Holding(oidc_codes, "sign-in", users=("user_id",), personal=("auth_time", "amr", "acr"),
            secret=("code_hash", "nonce", "code_challenge", "session_hash"),
            kept="an hour after it is issued (it is good for a minute)",
            section="application_sign_ins"),
    Holding(oidc_tokens, "sign-in", users=("user_id",), personal=("auth_time", "amr", "acr"),
            secret=("token_hash", "session_hash", "code_hash"),
            kept="a day after it expires or is revoked (a revoked refresh token until it "
                 "would expire; one of a browser session still signed in while it is)",
            section="application_tokens"),
    Holding(oidc_clients, "administration", users=("created_by",), secret=("secret_hash",),
            kept="while the client is registered; who registered it until deletion",
            section="applications_registered", erasure="anonymise"),
    Holding(web_sessions, "sign-in", users=("user_id",), secret=("id_hash", "csrf_hash"),
            kept="GATEWAY_RETAIN_SESSION_DAYS after it ends", section="browser_sessions",
            retention=(R.SESSIONS,)),
    Holding(used_device_proofs, "device", devices=("device_id",), personal=("jti",),
            kept="minutes (replay protection)", section="device_proofs",
            retention=(R.ENDED_FLOWS,)),
    Holding(token_families, "sign-in", devices=("device_id",),
            kept="GATEWAY_RETAIN_SESSION_DAYS after it is revoked (its refresh tokens: after "
                 "they expire)", section="device_sign_ins", retention=(R.SESSIONS,)),
    Holding(memberships, "account", users=("user_id",), kept="for the account's life",
            section="account"),
    Holding(devices, "device", users=("user_id",), devices=("id",),
            personal=("app_device_id", "model", "os", "os_version", "app_version", "last_ip",
                      "reads_in", "public_key"),
            secret=("public_key",),
            kept="for the account's life; the full address GATEWAY_RETAIN_FULL_IP_DAYS; a "
                 "revoked device's details GATEWAY_RETAIN_REVOKED_DEVICE_DAYS",
            section="devices", retention=(R.FULL_IP_ADDRESS, R.REVOKED_DEVICES)),
    Holding(users, "account", users=("id",), personal=("username", "display_name", "email",
                                                        "phone"),
            secret=("password_hash",), kept="for the account's life", section="account",
            exporter=exports.account),
)


def devices_of(user_id: str):
    """The subquery of *user_id*'s device ids (revoked ones included)."""
    return select(devices.c.id).where(devices.c.user_id == user_id).scalar_subquery()
