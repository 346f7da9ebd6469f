"""The in-app inbox's part of the personal-data map: each message names its user and says
what was sent to them. Exported in its own section, deleted with the account, purged
after GATEWAY_RETAIN_INBOX_DAYS. ``gateway.build`` adds it to the map."""

from __future__ import annotations

from gateway.core.languages import N_
from gateway.core.personal_data import Category, Holding
from gateway.push import inbox
from gateway.push.inbox_tables import inbox_messages

INBOX = Category("push_inbox", "retain_inbox_days", inbox.purge,
                 N_("Messages in the app's inbox, read or not"))

HOLDINGS = (
    Holding(inbox_messages, "push", users=("user_id",),
            personal=("topic", "title", "body", "url", "read_at"),
            impersonal=("notification_id",),  # the notification's random id
            kept="GATEWAY_RETAIN_INBOX_DAYS", section="inbox", retention=(INBOX,)),
)
