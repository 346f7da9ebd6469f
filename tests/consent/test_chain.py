"""The ledger's hash chain detects edited and removed events (SQLite and PostgreSQL), and
`flask gateway verify-consent` names the first broken one."""

import pytest
from sqlalchemy import delete, select, update

from gateway import consent
from gateway.consent.tables import consent_chain_head, consent_events, policy_versions
from tests.support import both

USERS = ("a" * 32, "b" * 32)


@pytest.fixture
def ledger(app):
    """Six decisions by two users; returns the events oldest first."""
    svc = app.extensions["gateway"]
    policy = consent.publish_policy(svc.store, svc.clock, svc.catalogue, version="1.0",
                                    texts=both("First", "The agreement."), changes=[])
    steps = [("camera", "granted"), ("push", "granted"), ("camera", "withdrawn"),
             ("location", "refused"), ("push", "withdrawn"), ("camera", "granted")]
    for n, (purpose, decision) in enumerate(steps):
        svc.clock.advance(minutes=1)
        with svc.store.write() as connection:
            consent.record(connection, svc.clock, svc.catalogue, user_id=USERS[0],
                           device_id="d" * 32, purpose=purpose, decision=decision,
                           policy_version="1.0",
                           notice_hash=consent.notice(svc.catalogue.get(purpose), policy).hash)
    with svc.store.read() as connection:
        return consent.history(connection, user_id=USERS[0])


def tamper(app, statement):
    with app.extensions["gateway"].store.write() as connection:
        connection.execute(statement)


def report(app) -> consent.ChainReport:
    with app.extensions["gateway"].store.read() as connection:
        return consent.verify_chain(connection)


def test_an_untouched_ledger_verifies(app, ledger):
    found = report(app)
    assert found.intact and found.events == 6 and found.head_hash == ledger[-1].hash


def test_an_edited_decision_is_named(app, ledger):
    tamper(app, update(consent_events).where(consent_events.c.seq == ledger[2].seq)
           .values(decision="granted"))
    found = report(app)
    assert (found.broken_seq, found.broken_id) == (ledger[2].seq, ledger[2].id)
    assert "changed" in found.reason


def test_an_event_moved_to_another_user_is_named(app, ledger):
    tamper(app, update(consent_events).where(consent_events.c.seq == ledger[1].seq)
           .values(user_id=USERS[1]))
    found = report(app)
    assert found.broken_seq == ledger[1].seq and "user or device" in found.reason


def test_a_removed_event_is_named_by_the_one_after_it(app, ledger):
    tamper(app, delete(consent_events).where(consent_events.c.seq == ledger[3].seq))
    found = report(app)
    assert found.broken_seq == ledger[4].seq and "removed" in found.reason


def test_removing_the_newest_events_is_caught_by_the_checkpoint(app, ledger):
    tamper(app, delete(consent_events).where(consent_events.c.seq >= ledger[4].seq))
    found = report(app)
    assert not found.intact and found.broken_seq == ledger[5].seq
    assert "records 6 events" in found.reason and "holds 4" in found.reason


def test_removing_the_checkpoint_is_caught(app, ledger):
    tamper(app, delete(consent_chain_head))
    assert "checkpoint is missing" in report(app).reason


def test_appending_after_a_removal_still_shows_the_gap(app, ledger):
    svc = app.extensions["gateway"]
    tamper(app, delete(consent_events).where(consent_events.c.seq == ledger[5].seq))
    with svc.store.write() as connection:
        policy = consent.current_policy(connection, svc.clock)
        added = consent.record(connection, svc.clock, svc.catalogue, user_id=USERS[0],
                               device_id="d" * 32, purpose="push", decision="granted",
                               policy_version="1.0",
                               notice_hash=consent.notice(svc.catalogue.get("push"), policy).hash)
    assert report(app).broken_seq == added.seq


def test_redacting_a_users_subject_keeps_the_chain_intact(app, ledger):
    svc = app.extensions["gateway"]
    with svc.store.write() as connection:
        assert consent.redact_user(connection, svc.clock, USERS[0]) == 6
    assert report(app).intact
    with svc.store.read() as connection:
        assert consent.history(connection, user_id=USERS[0]) == []
        decisions = connection.execute(select(consent_events.c.decision)).scalars().all()
    assert len(decisions) == 6  # the evidence of what was decided stays
    # ...and a redacted event still cannot be edited unnoticed.
    tamper(app, update(consent_events).where(consent_events.c.seq == ledger[0].seq)
           .values(decision="refused"))
    assert report(app).broken_seq == ledger[0].seq


def test_the_command_names_the_first_broken_event(app, ledger, runner):
    intact = runner.invoke(args=["gateway", "verify-consent"])
    assert intact.exit_code == 0 and "intact: 6 events" in intact.output
    tamper(app, update(consent_events).where(consent_events.c.seq == ledger[1].seq)
           .values(purpose="location"))
    broken = runner.invoke(args=["gateway", "verify-consent"])
    assert broken.exit_code != 0
    assert f"event #{ledger[1].seq} (id {ledger[1].id})" in broken.output


def test_the_command_reports_an_altered_policy_text(app, ledger, runner):
    tamper(app, update(policy_versions).values(text="A quietly different agreement."))
    result = runner.invoke(args=["gateway", "verify-consent"])
    assert result.exit_code != 0 and "'1.0'" in result.output


def test_concurrent_decisions_extend_one_intact_chain(app):
    import threading

    svc = app.extensions["gateway"]
    policy = consent.publish_policy(svc.store, svc.clock, svc.catalogue, version="1.0",
                                    texts=both("First", "The agreement."), changes=[])
    shown = consent.notice(svc.catalogue.get("camera"), policy).hash
    errors = []

    def device(n: int) -> None:
        try:
            for step in range(5):
                with svc.store.write() as connection:
                    consent.record(connection, svc.clock, svc.catalogue, user_id=USERS[0],
                                   device_id=f"{n:032d}", purpose="camera",
                                   decision=("granted", "withdrawn")[step % 2],
                                   policy_version="1.0", notice_hash=shown)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=device, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    found = report(app)
    assert found.intact and found.events == 40
