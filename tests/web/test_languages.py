"""Chinese and English: how a request's language is chosen, and that pages, problems and the
scripts' catalogue follow it."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from gateway.core.catalogues import translate
from gateway.core.languages import N_
from gateway.identity import accounts

ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}
EN = {"Accept-Language": "en-GB,en;q=0.9"}
LOGIN_TITLE = N_("Log in with your phone")


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True)).group(1)


def heading(response) -> str:
    return re.search(r"<h1>(.*?)</h1>", response.get_data(as_text=True)).group(1)


def test_the_catalogue_has_chinese_for_the_words_these_tests_read():
    # Guards the tests below: with an empty catalogue they would compare English to English.
    assert translate("zh", LOGIN_TITLE) != LOGIN_TITLE


def test_a_page_is_in_the_language_the_browser_asks_for(client):
    chinese = client.get("/login", headers=ZH)
    assert html_lang(chinese) == "zh-CN"
    assert heading(chinese) == translate("zh", LOGIN_TITLE)
    english = client.get("/login", headers=EN)
    assert html_lang(english) == "en" and heading(english) == LOGIN_TITLE
    assert "Accept-Language" in chinese.headers["Vary"]


def test_a_language_nobody_speaks_gets_the_configured_default(client):
    assert html_lang(client.get("/login", headers={"Accept-Language": "fr-FR"})) == "en"
    assert html_lang(client.get("/login")) == "en"


@pytest.fixture
def chinese_deployment(settings):
    return dataclasses.replace(settings, default_language="zh")


def test_a_chinese_deployment_speaks_chinese_unless_asked_otherwise(chinese_deployment, clock):
    from gateway import create_app

    client = create_app(chinese_deployment, clock=clock).test_client()
    assert html_lang(client.get("/login", headers={"Accept-Language": "fr"})) == "zh-CN"
    assert html_lang(client.get("/login", headers=EN)) == "en"


def test_the_switch_outranks_the_browser_and_is_remembered(client):
    answer = client.put("/api/v1/language", json={"language": "zh-CN"}, headers=EN)
    assert answer.status_code == 204
    assert "HttpOnly" in answer.headers["Set-Cookie"]
    assert html_lang(client.get("/login", headers=EN)) == "zh-CN"
    client.put("/api/v1/language", json={"language": "en"}, headers=ZH)
    assert html_lang(client.get("/login", headers=ZH)) == "en"


@pytest.mark.parametrize("language", ["fr", "", "zh-CN-x-nonsense-that-is-far-too-long" * 3])
def test_a_language_the_gateway_does_not_speak_is_refused_and_changes_nothing(client, language):
    answer = client.put("/api/v1/language", json={"language": language}, headers=ZH)
    assert answer.status_code == 422
    assert answer.mimetype == "application/problem+json"
    assert "Set-Cookie" not in answer.headers


def test_a_signed_in_browser_saves_the_choice_on_the_account(app, client, actions):
    alice = actions.create_user("alice")
    csrf = actions.web_sign_in("alice")
    refused = client.put("/api/v1/language", json={"language": "zh"})  # no CSRF token
    assert refused.status_code == 403
    assert client.put("/api/v1/language", json={"language": "zh"}, headers=csrf).status_code == 204
    store = app.extensions["gateway"].store
    with store.read() as connection:
        assert accounts.saved_language(connection, alice.id) == "zh"
    # Another browser of Alice's, asking for English, is in her language once she signs in.
    other = app.test_client()
    assert html_lang(other.get("/login", headers=EN)) == "en"
    actions.web_sign_in("alice", client=other)
    assert html_lang(other.get("/login", headers=EN)) == "zh-CN"


def test_a_phone_saves_the_choice_on_its_device_and_account(app, client, actions):
    alice = actions.create_user("alice")
    phone = actions.device_sign_in("alice")
    answer = client.put("/api/v1/language", json={"language": "zh-CN"}, headers=phone.headers)
    assert answer.status_code == 204
    from sqlalchemy import select

    from gateway.identity.tables import devices

    store = app.extensions["gateway"].store
    with store.read() as connection:
        assert accounts.saved_language(connection, alice.id) == "zh"
        assert connection.execute(select(devices.c.language).where(
            devices.c.id == phone.device_id)).scalar() == "zh"
    stale = client.put("/api/v1/language", json={"language": "en"},
                       headers={"Authorization": "Bearer not-a-token"})
    assert stale.status_code == 401
    with store.read() as connection:
        assert accounts.saved_language(connection, alice.id) == "zh"


def test_a_problem_is_told_in_the_readers_language_with_the_same_type(client):
    chinese = client.get("/api/v1/qr-logins/nonexistent", headers=ZH).get_json()
    english = client.get("/api/v1/qr-logins/nonexistent", headers=EN).get_json()
    assert chinese["type"] == english["type"] and chinese["status"] == english["status"]
    assert chinese["title"] == translate("zh", english["title"]) != english["title"]
    assert chinese["detail"] != english["detail"]
    assert re.search(r"[\u4e00-\u9fff]", chinese["detail"])


def test_an_http_error_of_the_framework_is_told_for_people_too(client):
    chinese = client.get("/no/such/page", headers=ZH).get_json()
    assert chinese["type"].endswith(":not-found")
    assert re.search(r"[\u4e00-\u9fff]", chinese["title"] + chinese["detail"])


def test_the_scripts_catalogue_is_versioned_and_kept_by_the_browser(client):
    page = client.get("/login", headers=ZH).get_data(as_text=True)
    address = re.search(r'data-catalogue="([^"]+)"', page).group(1)
    assert address.startswith("/i18n/zh.json?v=")
    answer = client.get(address)
    assert answer.status_code == 200 and "immutable" in answer.headers["Cache-Control"]
    words = answer.get_json()
    assert words and all(words.values())
    assert client.get("/i18n/zh.json?v=old").headers["Cache-Control"] == "no-cache"
    assert client.get("/i18n/fr.json").status_code == 404
    english = client.get("/i18n/en.json").get_json()
    assert english == {}  # the scripts are written in English


PAGES = sorted(path.name for path in
               (Path(__file__).parents[2] / "gateway" / "web" / "templates").glob("*.html")
               if path.name not in ("base.html", "languages.html"))
# Latin words a Chinese page may show: product, device and protocol names, the letters of a
# sample sign-in code, and the switch's own "English".
LATIN_ALLOWED = {"Companion", "Gateway", "App", "English", "QR", "BI", "VAPID", "Web", "Push",
                 "GPS", "Wi", "Fi", "ID", "URL", "JSON", "API", "OpenAPI", "PNG", "iPhone",
                 "iPad", "Android", "iOS", "Safari", "HH", "MM", "https", "BCDF", "GHJK",
                 "OpenID", "Connect", "Superset", "Grafana", "Metabase", "PKCE"}


def visible_words(html: str) -> list[str]:
    """The Latin words a reader sees on a page: its text and its labelling attributes."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    # Placeholders show sample input (usernames, addresses), not words to read.
    labels = re.findall(r'\b(?:alt|aria-label|title)="([^"]*)"', html)
    text = re.sub(r"<[^>]+>", " ", html)
    text = re.sub(r"(?<![\w])/[\w/.-]+", " ", text)  # addresses on this gateway, /app/connect
    text = re.sub(r"[\w*-]+(?:\.[\w-]+)+", " ", text)  # host names, *.example.com
    return re.findall(r"[A-Za-z]{2,}", " ".join([text, *labels]))


@pytest.mark.parametrize("name", PAGES)
def test_a_chinese_page_has_no_english_outside_the_catalogue(app, name):
    from flask import render_template

    with app.test_request_context("/", headers=ZH):
        html = render_template(name)
    stray = sorted(set(visible_words(html)) - LATIN_ALLOWED)
    assert not stray, f"{name} shows English to a Chinese reader: {stray}"


@pytest.mark.parametrize("name", PAGES)
def test_an_english_page_has_no_chinese(app, name):
    from flask import render_template

    with app.test_request_context("/", headers=EN):
        html = render_template(name)
    html = re.sub(r'<button[^>]*data-language="zh-CN".*?</button>', "", html, flags=re.S)
    assert not re.search(r"[\u4e00-\u9fff]", html), name
