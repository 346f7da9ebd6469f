"""Back-channel logout in the domain: which answers of a relying party count as told
(OpenID Connect Back-Channel Logout 1.0, 2.8), each attempt in the operation log."""

from __future__ import annotations

import pytest

from gateway.core import audit
from tests.oidc_support import register

BACKCHANNEL = "https://bi.example.com/oidc/backchannel-logout"


@pytest.mark.parametrize(("status", "told"), [(200, True), (204, True), (400, False),
                                              (501, False)])
def test_a_relying_party_answering_200_or_204_has_been_told(gateway, people, status, told):
    rp = register(gateway, backchannel_uri=BACKCHANNEL)
    user = people.create_user("alice")
    # 2.8: frameworks answer an empty 200 as 204, which the OP is to take as success.
    object.__setattr__(gateway.oidc.logout, "post", lambda url, form: status)
    assert gateway.oidc.logout.tell(user.id, [(rp.client_id, "a-session")]) == (
        [rp.client_id] if told else [])
    with gateway.store.read() as connection:
        attempt, = [op for op in audit.for_actor(connection, user.id)
                    if op.action == "oidc.backchannel-logout"]
    assert attempt.details == {"status": status, "delivered": told}
