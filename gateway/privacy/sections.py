"""What each section of a user's export is called where a person reads it (the privacy
centre lists them in the reader's language). The export's JSON keys stay the stable
names below; only these labels are translated."""

from __future__ import annotations

from gateway.core.languages import N_

NAMES = {
    "account": N_("Your account and groups"),
    "activity": N_("What you did (the operation log)"),
    "application_sign_ins": N_("Applications you signed in to"),
    "application_tokens": N_("Tokens issued to applications for you"),
    "applications_registered": N_("Applications you registered"),
    "browser_sessions": N_("Browsers signed in"),
    "consents": N_("Your consent decisions, with their receipts"),
    "device_proofs": N_("Proofs your phones signed"),
    "device_sign_ins": N_("Phone sign-ins"),
    "devices": N_("Your phones"),
    "disclosures": N_("What was shared with partner systems"),
    "enrollments": N_("Phones connected by scanning"),
    "inbox": N_("Messages in your inbox"),
    "integration_keys_made": N_("Integration keys you created"),
    "locations": N_("Locations your phones reported"),
    "notices_served": N_("Notices you were shown"),
    "policies_published": N_("Agreement versions you published"),
    "policy_acknowledgements": N_("Agreement versions you acknowledged"),
    "preview_grants": N_("Report previews you were given"),
    "preview_links": N_("Report preview links you made"),
    "previews": N_("Report previews you opened"),
    "push": N_("Notifications: subscriptions and deliveries"),
    "qr_logins": N_("Scan-to-log-in requests"),
    "reports_owned": N_("Reports you own"),
    "reports_shared_with_me": N_("Reports shared with you"),
    "sign_ins": N_("Your sign-ins"),
}
OTHER = N_("Other data")  # a section added without a name yet (a test keeps this from happening)


def name_of(section: str) -> str:
    """The label of *section* (English; translated where shown)."""
    return NAMES.get(section, OTHER)
