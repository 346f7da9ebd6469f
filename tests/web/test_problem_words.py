"""What a person reads of a problem is wholly in their language: not only its fixed words but
what is put into them, a rate limit, a date, a number, the reason something was refused."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from gateway.core.catalogues import translate
from gateway.core.languages import N_
from tests.problems import assert_problem
from tests.support import both_json

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
EN = {"Accept-Language": "en-GB,en;q=0.9"}
# Latin a Chinese sentence may hold: the zone of a time, and what the admin typed.
LATIN = re.compile(r"[A-Za-z]{2,}")


@pytest.fixture
def settings(settings):
    return settings.replace(sign_in_limit="2 per minute")


@pytest.fixture
def admin(actions):
    actions.create_user("root", role="admin")
    return actions.web_sign_in("root")


def test_a_rate_limit_says_how_many_in_how_long_in_the_readers_words(client):
    def refused(headers):
        for _ in range(3):
            answer = client.post("/api/v1/web/sign-in", headers=headers,
                                 json={"username": "nobody", "password": "wrong"})
        return assert_problem(answer, 429, ":rate-limited")

    chinese, english = refused(ZH), refused(EN)
    assert "2" in chinese["detail"] and "分钟" in chinese["detail"]
    assert not LATIN.search(chinese["title"] + chinese["detail"]), chinese
    assert "at most 2 in 1 minute" in english["detail"]


def test_a_date_in_a_problem_is_written_as_the_readers_language_writes_it(
        client, admin, clock):
    later = (clock.now() + timedelta(days=30)).replace(year=2031, month=3, day=5, hour=9,
                                                       minute=30)
    first = client.post("/api/v1/admin/policies", headers=admin, json={
        "version": "1.0", "texts": both_json("First", "The agreement."),
        "effective_at": later.isoformat()})
    assert first.status_code == 201, first.get_json()
    earlier = {"version": "2.0", "texts": both_json("Second", "The agreement, again."),
               "effective_at": (later - timedelta(days=1)).isoformat()}
    chinese = client.post("/api/v1/admin/policies", headers={**admin, **ZH}, json=earlier)
    english = client.post("/api/v1/admin/policies", headers={**admin, **EN}, json=earlier)
    chinese, english = assert_problem(chinese, 400), assert_problem(english, 400)
    assert "2031年3月5日" in chinese["detail"] and "09:30" in chinese["detail"]
    assert set(LATIN.findall(chinese["detail"])) <= {"UTC"}, chinese["detail"]
    assert "March 5, 2031" in english["detail"] and "2031-03-05T" not in english["detail"]


def test_a_number_in_a_problem_has_the_readers_separators(client, admin):
    too_long = {"title": "测" * 200, "body": "测" * 1000}
    answer = client.post("/api/v1/admin/push/test", headers={**admin, **EN}, json=too_long)
    assert "at most 3,000." in assert_problem(answer, 422)["detail"]


def test_the_reason_inside_a_refusal_is_translated_too(client, admin):
    subject = {"subject": "mailto:ops@localhost"}
    chinese = client.put("/api/v1/admin/push/settings", headers={**admin, **ZH}, json=subject)
    chinese = assert_problem(chinese, 400)
    reason = translate("zh", N_("not a real e-mail address"))
    assert chinese["detail"] == translate(
        "zh", N_("The contact for push services is not usable: {reason}"), reason=reason)
    english = assert_problem(client.put("/api/v1/admin/push/settings", headers={**admin, **EN},
                                        json=subject), 400)
    assert english["detail"].endswith(": not a real e-mail address")
