"""The consent ledger on a real store (SQLite, and PostgreSQL when configured): recording,
re-consent after a policy change, the check, withdrawal hooks, and new purposes."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import select

from gateway import consent
from gateway.consent.purposes import Catalogue, Purpose
from gateway.consent.tables import consent_events, notices_served
from gateway.core.audit_tables import operations
from gateway.core.errors import Conflict, InvalidRequest
from tests.support import both

USER, DEVICE = "u" * 32, "d" * 32


@pytest.fixture
def svc(app):
    return app.extensions["gateway"]


def publish(svc, version="1.0", changes=("camera", "push", "location"), **fields):
    return consent.publish_policy(svc.store, svc.clock, svc.catalogue, version=version,
                                  texts=both(f"Version {version}", f"Agreement {version}"),
                                  changes=changes, **fields)


def decide(svc, purpose="camera", decision="granted", version=None, language="en", **fields):
    with svc.store.write() as connection:
        policy = (consent.get_policy(connection, version) if version
                  else consent.current_policy(connection, svc.clock))
        shown = consent.notice(svc.catalogue.get(purpose), policy, language)
        return consent.record(connection, svc.clock, svc.catalogue, user_id=USER,
                              device_id=DEVICE, purpose=purpose, decision=decision,
                              policy_version=policy.version, notice_hash=shown.hash,
                              language=language, **fields)


def status(svc, purpose="camera", device=DEVICE):
    with svc.store.read() as connection:
        return consent.status(connection, svc.clock, user_id=USER, device_id=device,
                              purpose=purpose)


def require(svc, purpose="camera"):
    with svc.store.read() as connection:
        consent.require(connection, svc.clock, svc.catalogue, user_id=USER, device_id=DEVICE,
                        purpose=purpose)


def events(svc) -> int:
    with svc.store.read() as connection:
        return consent.count_events(connection)


def test_a_grant_lets_the_device_use_the_purpose_and_nothing_else(svc):
    publish(svc)
    decide(svc, "camera")
    require(svc, "camera")
    with pytest.raises(consent.ConsentRequired) as refused:
        require(svc, "push")
    assert refused.value.extensions["purpose"] == "push"
    assert refused.value.extensions["grant_at"] == "/api/v1/consents"
    assert status(svc, "camera", device="another device").state == "undecided"


def test_a_decision_records_every_field_of_the_evidence(svc, clock):
    publish(svc)
    phone_time = datetime(2026, 11, 28, 19, 59, tzinfo=timezone(timedelta(hours=8)))
    recorded = decide(svc, "push", language="zh", method="settings_toggle",
                      os_permission="provisional", app_version="3.2.0", client_time=phone_time)
    assert (recorded.language, recorded.method, recorded.os_permission, recorded.app_version) == (
        "zh", "settings_toggle", "provisional", "3.2.0")
    assert recorded.client_time == phone_time and recorded.client_time.utcoffset() == timedelta(0)
    assert recorded.server_time == clock.now() and recorded.policy_version == "1.0"
    with svc.store.read() as connection:
        assert consent.verify_chain(connection).intact
        logged = connection.execute(select(operations.c.action, operations.c.subject)).all()
    assert ("consent.granted", "push") in logged


def test_re_consent_is_needed_once_a_version_changing_the_purpose_takes_effect(svc, clock):
    publish(svc)
    decide(svc, "camera")
    decide(svc, "push")
    clock.advance(days=30)
    publish(svc, "2.0", changes=["camera"], effective_at=clock.now() + timedelta(days=7))
    require(svc, "camera")  # announced, not yet in effect: the grant still counts
    clock.advance(days=7)
    with pytest.raises(consent.ConsentRequired) as lapsed:
        require(svc, "camera")
    assert lapsed.value.extensions["stale"] is True
    assert status(svc, "camera").reason == "policy_changed"
    require(svc, "push")  # the new version did not change push
    with pytest.raises(consent.PolicyNotCurrent):
        decide(svc, "camera", version="1.0")  # a notice of the old version is not enough
    decide(svc, "camera", version="2.0")
    require(svc, "camera")


def test_a_refusal_is_not_asked_again_until_the_policy_changes_that_purpose(svc, clock):
    publish(svc)
    decide(svc, "camera", "refused")
    assert not status(svc, "camera").needs_decision
    clock.advance(days=1)
    publish(svc, "2.0", changes=["push"])
    assert not status(svc, "camera").needs_decision
    clock.advance(days=1)
    publish(svc, "3.0", changes=["camera"])
    assert status(svc, "camera").needs_decision


def test_a_decision_under_a_version_not_yet_in_effect_is_refused(svc, clock):
    publish(svc)
    publish(svc, "2.0", changes=[], effective_at=clock.now() + timedelta(days=1))
    with pytest.raises(consent.PolicyNotCurrent):
        decide(svc, "camera", version="2.0")
    assert events(svc) == 0


@pytest.mark.parametrize(("change", "error"), [
    ({"purpose": "microphone"}, consent.UnknownPurpose),
    ({"policy_version": "9.9"}, consent.UnknownPolicyVersion),
    ({"decision": "maybe"}, InvalidRequest),
    ({"method": "telepathy"}, InvalidRequest),
    ({"language": "fr"}, InvalidRequest),
    ({"os_permission": "sometimes"}, InvalidRequest),
    ({"notice_hash": "0" * 64}, InvalidRequest),
    ({"client_time": datetime(2026, 11, 28, 12, 6, tzinfo=timezone.utc)}, InvalidRequest),
    ({"decision": "withdrawn"}, consent.NothingToWithdraw),
])
def test_bad_decisions_are_refused_and_nothing_is_written(svc, change, error):
    publish(svc)
    shown = consent.notice(svc.catalogue.get("camera"), consent.PolicyVersion(
        1, "1.0", "", "", "", (), datetime.now(timezone.utc), datetime.now(timezone.utc)))
    fields = dict(user_id=USER, device_id=DEVICE, purpose="camera", decision="granted",
                  policy_version="1.0", notice_hash=shown.hash, language="en")
    with pytest.raises(error), svc.store.write() as connection:
        consent.record(connection, svc.clock, svc.catalogue, **{**fields, **change})
    assert events(svc) == 0
    with svc.store.read() as connection:
        assert consent.chain_head(connection) is None


def test_a_notice_hash_must_match_the_language_it_was_shown_in(svc):
    publish(svc)
    with svc.store.write() as connection:
        policy = consent.current_policy(connection, svc.clock)
        english = consent.notice(svc.catalogue.get("camera"), policy, "en")
        with pytest.raises(InvalidRequest):
            consent.record(connection, svc.clock, svc.catalogue, user_id=USER,
                           device_id=DEVICE, purpose="camera", decision="granted",
                           policy_version="1.0", notice_hash=english.hash, language="zh")


def test_notices_exist_in_english_and_chinese_and_name_the_version(svc):
    policy = publish(svc)
    english = consent.notice(svc.catalogue.get("location"), policy, "en")
    chinese = consent.notice(svc.catalogue.get("location"), policy, "zh")
    assert "sensitive personal information" in english.text and "1.0" in english.text
    assert "敏感个人信息" in chinese.text and "1.0" in chinese.text
    assert english.hash != chinese.hash
    assert consent.pick_language(["zh-CN", "en"]) == "zh"
    assert consent.pick_language(["fr-FR"]) == "en"


def test_withdrawal_hooks_run_in_the_same_transaction_on_refusal_and_withdrawal(
        svc, monkeypatch):
    calls = []
    undo = {"push": (lambda connection, clock, user, device: calls.append((user, device)),)}
    monkeypatch.setattr(svc, "catalogue", Catalogue(tuple(svc.catalogue), undo))
    publish(svc)
    decide(svc, "push")
    assert calls == []
    decide(svc, "push", "withdrawn")
    decide(svc, "push", "refused")
    assert calls == [(USER, DEVICE), (USER, DEVICE)]


def test_a_failing_withdrawal_hook_undoes_the_withdrawal(svc, monkeypatch):
    def broken(connection, clock, user, device):
        raise RuntimeError("push service table locked")

    publish(svc)
    decide(svc, "push")
    monkeypatch.setattr(svc, "catalogue", Catalogue(tuple(svc.catalogue), {"push": (broken,)}))
    with pytest.raises(RuntimeError):
        decide(svc, "push", "withdrawn")
    assert status(svc, "push").granted and events(svc) == 1


def test_withdrawing_what_is_not_granted_writes_nothing(svc):
    publish(svc)
    with svc.store.write() as connection:
        assert consent.withdraw(connection, svc.clock, svc.catalogue, user_id=USER,
                                device_id=DEVICE, purpose="camera") is None
    decide(svc, "camera")
    with svc.store.write() as connection:
        withdrawn = consent.withdraw(connection, svc.clock, svc.catalogue, user_id=USER,
                                     device_id=DEVICE, purpose="camera")
    assert withdrawn.decision == "withdrawn" and not status(svc).granted
    assert events(svc) == 2


def test_1_6_a_purpose_added_to_the_catalogue_has_no_consent_until_decided(svc):
    publish(svc)
    decide(svc, "camera")
    health = Purpose("step_count", "Step count", "Count steps for the wellness report.",
                     "Wellness report (a new function)", ("daily step count",), sensitive=True)
    svc.catalogue = svc.catalogue.with_purpose(health)
    with svc.store.read() as connection:
        found = {s.purpose: s for s in consent.statuses(
            connection, svc.clock, svc.catalogue, user_id=USER, device_id=DEVICE)}
    assert found["step_count"].state == "undecided" and found["step_count"].needs_decision
    assert found["camera"].granted
    with pytest.raises(consent.ConsentRequired):
        require(svc, "step_count")
    decide(svc, "step_count")
    require(svc, "step_count")


def test_publishing_is_immutable_and_checks_what_it_changes(svc, clock):
    publish(svc)
    with pytest.raises(Conflict):
        publish(svc, "1.0", changes=[])
    with pytest.raises(consent.UnknownPurpose):
        publish(svc, "2.0", changes=["microphone"])
    with pytest.raises(InvalidRequest):
        publish(svc, "2.0", effective_at=clock.now() - timedelta(seconds=1))
    publish(svc, "2.0", changes=[], effective_at=clock.now() + timedelta(days=10))
    with pytest.raises(InvalidRequest):  # would take effect before 2.0 and never be current
        publish(svc, "2.1", changes=[], effective_at=clock.now() + timedelta(days=5))
    with svc.store.read() as connection:
        assert [p.version for p in consent.list_policies(connection)] == ["2.0", "1.0"]
        assert consent.current_policy(connection, svc.clock).version == "1.0"


def test_serving_a_notice_is_recorded_once_as_evidence(svc):
    policy = publish(svc)
    shown = consent.notice(svc.catalogue.get("camera"), policy)
    for _ in range(3):
        with svc.store.write() as connection:
            consent.serve_notice(connection, svc.clock, user_id=USER, device_id=DEVICE,
                                 purpose="camera", policy=policy, notice_hash=shown.hash)
    with svc.store.read() as connection:
        rows = connection.execute(select(notices_served)).all()
    assert [(r.purpose, r.notice_hash) for r in rows] == [("camera", shown.hash)]


def test_the_check_is_one_query_however_many_versions_were_published(svc, clock):
    for n in range(1, 31):
        publish(svc, f"{n}.0", changes=["camera"] if n % 3 else ["push"])
        clock.advance(hours=1)
    decide(svc, "camera")
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    sa_event.listen(svc.store.engine, "before_cursor_execute", listener)
    try:
        require(svc, "camera")
    finally:
        sa_event.remove(svc.store.engine, "before_cursor_execute", listener)
    queries = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(queries) == 1, statements
    assert "text" not in queries[0].split("FROM")[0]  # no policy text is loaded


def test_the_history_lists_a_users_decisions_oldest_first(svc):
    publish(svc)
    decide(svc, "camera")
    decide(svc, "camera", "withdrawn")
    decide(svc, "push", "refused")
    with svc.store.read() as connection:
        found = consent.history(connection, user_id=USER)
        only_push = consent.history(connection, user_id=USER, purpose="push")
        rows = connection.execute(select(consent_events.c.seq)).all()
    assert [(e.purpose, e.decision) for e in found] == [
        ("camera", "granted"), ("camera", "withdrawn"), ("push", "refused")]
    assert len(only_push) == 1 and len(rows) == 3
