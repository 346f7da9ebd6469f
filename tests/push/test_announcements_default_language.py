"""On a Chinese deployment (``GATEWAY_DEFAULT_LANGUAGE=zh-CN``) the announcements the
gateway sends when an admin publishes reach in Chinese those of whom nothing tells the
language, and still in English those whose phone asks for English."""

from __future__ import annotations

import pytest

from gateway.core.catalogues import translate
from gateway.core.languages import N_
from tests.support import both_json

pytestmark = pytest.mark.push_service

CHANGED = N_("The user agreement changed (version {version})")


@pytest.fixture
def settings(settings):
    return settings.replace(default_language="zh")


def test_publishing_announces_in_the_deployments_default_to_those_who_never_said(
        client, actions, kit):
    _, alices = kit.device("alice")  # her phone names no language we speak
    _, bobs = kit.device("bob", accept_language="en-US")
    actions.create_user("root", role="admin")
    admin = actions.web_sign_in("root")
    published = client.post("/api/v1/admin/policies", headers=admin, json={
        "version": "2.0", "texts": both_json("Shorter", "The agreement."), "changes": []})
    assert published.status_code == 201, published.get_json()
    kit.settle()
    assert [m["title"] for m in alices.messages] == [translate("zh", CHANGED, version="2.0")]
    assert [m["title"] for m in bobs.messages] == [CHANGED.format(version="2.0")]
