from gateway import accounts


def test_init_migrates_and_makes_one_admin_with_a_one_time_password(app, runner):
    result = runner.invoke(args=["init"])
    assert result.exit_code == 0, result.output
    assert "one-time password" in result.output
    password = result.output.split("one-time password: ")[1].split()[0]
    svc = app.extensions["gateway"]
    admin = accounts.authenticate(svc.store, svc.passwords, "admin", password)
    assert admin.is_admin and admin.must_change_password
    again = runner.invoke(args=["init"])
    assert again.exit_code == 0 and "one-time password" not in again.output


def test_create_admin_refuses_a_taken_name(runner):
    assert runner.invoke(args=["create-admin", "--username", "ops"]).exit_code == 0
    result = runner.invoke(args=["create-admin", "--username", "ops"])
    assert result.exit_code != 0 and "taken" in result.output


def test_settings_lists_every_variable(runner):
    result = runner.invoke(args=["settings"])
    assert "GATEWAY_DATABASE_URL" in result.output and "GATEWAY_PUBLIC_URL" in result.output
