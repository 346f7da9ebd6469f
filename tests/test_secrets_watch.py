"""The log watch itself: it must catch a secret that reaches a log."""

import logging

import pytest

from tests.secrets_watch import SecretsWatch


@pytest.mark.leaks_on_purpose
def test_a_token_handed_out_and_then_logged_is_caught(app, client, actions, tmp_path):
    actions.create_user("alice")
    with SecretsWatch() as watch:
        device = actions.device_sign_in()
        logging.getLogger("gateway.careless").info("refreshing %s", device.refresh_token)
    assert watch.leaks(tmp_path) == [device.refresh_token]


def test_ids_and_routes_are_not_mistaken_for_secrets(app, client, actions, tmp_path):
    actions.create_user("alice")
    with SecretsWatch() as watch:
        device = actions.device_sign_in()
        logging.getLogger("gateway.careful").info("device %s signed in", device.device_id)
    assert watch.leaks(tmp_path) == []
