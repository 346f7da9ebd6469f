"""Agreement 3.1/3.2 (protection and anonymisation) and 3.3 (operator recommendations)."""

import os

import pytest
from sqlalchemy import select, update

from gateway.core import audit
from gateway.core.audit_tables import operations
from gateway.core.netaddr import truncate_ip


@pytest.mark.parametrize("address, network", [
    ("203.0.113.77", "203.0.113.0/24"),
    ("2001:db8:1234:5678::1", "2001:db8:1234::/48"),
    ("::ffff:198.51.100.9", "198.51.100.0/24"),
    ("not an address", None),
    (None, None),
])
def test_3_2_addresses_are_truncated_to_their_network(address, network):
    assert truncate_ip(address) == network


def test_3_2_the_operation_log_stores_addresses_truncated_at_once(app, actions):
    actions.create_user("alice")
    actions.device_sign_in()
    with app.extensions["gateway"].store.read() as connection:
        assert connection.execute(select(operations.c.ip).where(
            operations.c.ip.is_not(None))).scalars().all() == ["127.0.0.0/24"]


def test_3_2_the_chain_verifier_names_the_first_edited_entry(app, actions, runner):
    actions.create_user("alice")
    for _ in range(3):
        actions.device_sign_in()
    assert runner.invoke(args=["gateway", "verify-log"]).exit_code == 0
    store = app.extensions["gateway"].store
    with store.write() as connection:
        seqs = connection.execute(select(operations.c.seq).order_by(operations.c.seq)).scalars().all()
        connection.execute(update(operations).where(operations.c.seq == seqs[1])
                           .values(action="device.signed-out"))
    with store.read() as connection:
        assert audit.verify_chain(connection) == seqs[1]
    result = runner.invoke(args=["gateway", "verify-log"])
    assert result.exit_code != 0 and f"entry {seqs[1]}" in result.output


def test_3_2_the_chain_verifier_notices_a_removed_entry(app, actions):
    from sqlalchemy import delete

    actions.create_user("alice")
    for _ in range(3):
        actions.device_sign_in()
    store = app.extensions["gateway"].store
    with store.write() as connection:
        seqs = connection.execute(select(operations.c.seq).order_by(operations.c.seq)).scalars().all()
        connection.execute(delete(operations).where(operations.c.seq == seqs[1]))
    with store.read() as connection:
        assert audit.verify_chain(connection) == seqs[2]


def test_3_3_the_doctor_names_what_to_fix(app, runner, settings):
    result = runner.invoke(args=["gateway", "doctor"])
    assert "[ok  ] The public address uses https" in result.output
    assert "There is a backup from the last two days" in result.output
    keys = app.extensions["gateway"].keys_dir
    loose = os.path.join(keys, "loose.key")
    with open(loose, "w") as handle:
        handle.write("x")
    os.chmod(loose, 0o644)
    try:
        result = runner.invoke(args=["gateway", "doctor"])
        assert result.exit_code == 1 and "chmod 600 loose.key" in result.output
    finally:
        os.remove(loose)


def test_3_3_a_backup_satisfies_the_doctor(app, runner, tmp_path):
    svc = app.extensions["gateway"]
    if svc.store.dialect != "sqlite":
        pytest.skip("PostgreSQL is backed up with pg_dump")
    svc.settings = svc.settings.replace(backup_dir=str(tmp_path / "backups"))
    assert runner.invoke(args=["gateway", "backup"]).exit_code == 0
    result = runner.invoke(args=["gateway", "doctor"])
    assert "[ok  ] There is a backup from the last two days" in result.output


def test_3_3_the_checklist_warns_about_every_switch_that_weakens_the_deployment(app, tmp_path):
    from gateway.checklist import checklist

    svc = app.extensions["gateway"]
    backups = tmp_path / "backups"
    backups.mkdir()
    for day in (1, 2, 3):
        (backups / f"gateway-2030010{day}T000000.sqlite3").write_bytes(b"")

    def verdicts(**changes) -> dict[str, str]:
        svc.settings = svc.settings.replace(backup_dir=str(backups), **changes)
        found = {item.english(item.check): item.level for item in checklist(svc)}
        return {topic: next(level for check, level in found.items() if topic in check)
                for topic in ("push test switch", "Rate limits", "(CORS)", "/metrics",
                              "Backups in")}

    assert set(verdicts(
        push_allow_insecure_local_endpoints=True, rate_limits_enabled=False, metrics_open=True,
        cors_origins=("http://bi.example.com",), backup_keep=2).values()) <= {"warn", "fail"}
    assert set(verdicts(
        push_allow_insecure_local_endpoints=False, rate_limits_enabled=True, metrics_open=False,
        cors_origins=("https://bi.example.com",), backup_keep=3).values()) == {"ok"}
