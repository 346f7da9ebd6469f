"""/metrics is off by default; a scrape token setting opens it to whoever sends the token,
and opening it to anyone is a setting of its own, which the doctor warns about."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from gateway.core import doctor
from gateway.core.settings import Settings, SettingsError
from tests.problems import assert_problem

TOKEN = "0123456789abcdef" * 2


def test_metrics_are_off_by_default(client):
    assert_problem(client.get("/metrics"), 404, ":not-found")
    assert_problem(client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}), 404)


def test_with_a_scrape_token_only_a_scrape_that_sends_it_gets_the_numbers(app, client):
    svc = app.extensions["gateway"]
    svc.settings = svc.settings.replace(metrics_token=TOKEN)
    for headers in ({}, {"Authorization": "Bearer " + "x" * 32}, {"Authorization": TOKEN},
                    {"Authorization": f"Basic {TOKEN}"}):
        assert_problem(client.get("/metrics", headers=headers), 401, ":unauthenticated")
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.mimetype == "text/plain" and "gateway_push_queue_depth" in response.text


def test_wrong_scrape_tokens_count_as_failed_authentication(app, client):
    svc = app.extensions["gateway"]
    svc.settings = svc.settings.replace(metrics_token=TOKEN, auth_failure_limit="3 per minute")
    answers = [client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code
               for _ in range(4)]
    assert answers == [401, 401, 401, 429]


def test_open_metrics_need_no_token(app, client):
    svc = app.extensions["gateway"]
    svc.settings = svc.settings.replace(metrics_open=True)
    assert client.get("/metrics").status_code == 200


def test_a_short_scrape_token_is_refused_at_start():
    with pytest.raises(SettingsError, match="GATEWAY_METRICS_TOKEN"):
        Settings.from_environ({"GATEWAY_METRICS_TOKEN": "guessable"})
    assert Settings.from_environ({"GATEWAY_METRICS_TOKEN": TOKEN}).metrics_token == TOKEN


def _verdict(tmp_path: Path, **changes) -> doctor.Finding:
    keys = tmp_path / "keys"
    keys.mkdir(mode=0o700, exist_ok=True)
    findings = doctor.inspect(Settings(public_url="https://gw.example.com", **changes),
                              database_url="postgresql://gw@127.0.0.1/gw", keys_dir=keys,
                              now=datetime.now(timezone.utc))
    [finding] = [f for f in findings if "/metrics" in f.check]
    return finding


def test_the_doctor_warns_while_metrics_are_open_to_anyone(tmp_path):
    open_to_all = _verdict(tmp_path, metrics_open=True)
    assert open_to_all.level == "warn" and "GATEWAY_METRICS_TOKEN" in open_to_all.advice
    assert _verdict(tmp_path).level == "ok"
    assert _verdict(tmp_path, metrics_token=TOKEN).level == "ok"
    assert _verdict(tmp_path, metrics_open=True, metrics_token=TOKEN).level == "ok"


def test_the_doctor_command_prints_the_warning(app, runner):
    svc = app.extensions["gateway"]
    svc.settings = svc.settings.replace(metrics_open=True)
    assert "[warn] /metrics needs a scrape token" in runner.invoke(
        args=["gateway", "doctor"]).output
