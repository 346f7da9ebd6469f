import stat
from pathlib import Path

import gateway.cli
from gateway.identity import accounts
from gateway.identity.password_change import Changer


def _password_file(app) -> Path:
    return Path(app.extensions["gateway"].keys_dir) / "one-time-password-admin.txt"


def test_init_migrates_and_makes_one_admin_whose_one_time_password_goes_to_a_private_file(
        app, runner):
    # The runner's output is no terminal, as under systemd: what it prints goes to a journal.
    result = runner.invoke(args=["init"])
    assert result.exit_code == 0, result.output
    path = _password_file(app)
    password = path.read_text().strip()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert str(path) in result.output and password not in result.output
    svc = app.extensions["gateway"]
    admin = accounts.authenticate(svc.store, svc.passwords, "admin", password)
    assert admin.is_admin and admin.must_change_password
    again = runner.invoke(args=["init"])
    assert again.exit_code == 0 and password not in again.output
    assert path.read_text().strip() == password


def test_init_removes_the_password_file_once_the_password_is_changed(app, runner):
    runner.invoke(args=["init"])
    path = _password_file(app)
    svc = app.extensions["gateway"]
    admin = accounts.find_user(svc.store, "admin")
    svc.identity.password_changes.change_password(
        admin.id, current=path.read_text().strip(), new="a password of my own",
        sign_out_others=False, by=Changer())
    result = runner.invoke(args=["init"])
    assert result.exit_code == 0 and not path.exists() and "removed" in result.output


def test_on_a_terminal_init_shows_the_one_time_password_once_and_writes_no_file(
        app, runner, monkeypatch):
    monkeypatch.setattr(gateway.cli, "_interactive", lambda: True)
    result = runner.invoke(args=["init"])
    assert result.exit_code == 0, result.output
    password = result.output.split("one-time password: ")[1].split()[0]
    svc = app.extensions["gateway"]
    assert accounts.authenticate(svc.store, svc.passwords, "admin", password).must_change_password
    assert not _password_file(app).exists()
    assert "one-time password" not in runner.invoke(args=["init"]).output


def test_create_admin_refuses_a_taken_name(runner):
    assert runner.invoke(args=["create-admin", "--username", "ops"]).exit_code == 0
    result = runner.invoke(args=["create-admin", "--username", "ops"])
    assert result.exit_code != 0 and "taken" in result.output


def test_settings_lists_every_variable(runner):
    result = runner.invoke(args=["settings"])
    assert "GATEWAY_DATABASE_URL" in result.output and "GATEWAY_PUBLIC_URL" in result.output


def test_init_publishes_a_first_bilingual_agreement_once_and_announces_no_change(app, runner):
    from gateway import consent
    from gateway.push.tables import notifications

    svc = app.extensions["gateway"]
    first = runner.invoke(args=["init"])
    assert first.exit_code == 0 and "user agreement version 1.0 published" in first.output
    with svc.store.read() as connection:
        policy = consent.current_policy(connection, svc.clock)
        sent = connection.execute(notifications.select()).all()
    assert policy.version == "1.0"
    assert "本网关的用户协议" in policy.text and "The gateway's user agreement" in policy.text
    assert sent == []  # the first version is no "update" to announce
    again = runner.invoke(args=["init"])
    assert "published" not in again.output
    with svc.store.read() as connection:
        assert [p.version for p in consent.list_policies(connection)] == ["1.0"]
