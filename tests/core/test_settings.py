import pytest

from gateway.core.settings import Settings, SettingsError, describe


def test_defaults_need_no_environment():
    settings = Settings.from_environ({})
    assert settings.public_url == "http://127.0.0.1:8000"
    assert settings.access_token_seconds == 900
    assert settings.trusted_proxies == 0


def test_values_are_cast_from_their_variables():
    settings = Settings.from_environ({
        "GATEWAY_PUBLIC_URL": "https://gw.example.com/",
        "GATEWAY_TRUSTED_PROXIES": "2",
        "GATEWAY_RATE_LIMITS_ENABLED": "off",
        "GATEWAY_RETURN_URLS": "https://bi.example.com/sso, https://bi2.example.com/sso",
    })
    assert settings.public_url == "https://gw.example.com"
    assert settings.https
    assert settings.trusted_proxies == 2
    assert settings.rate_limits_enabled is False
    assert settings.return_urls == ("https://bi.example.com/sso", "https://bi2.example.com/sso")


@pytest.mark.parametrize("variable, value", [
    ("GATEWAY_ACCESS_TOKEN_SECONDS", "soon"),
    ("GATEWAY_ACCESS_TOKEN_SECONDS", "0"),
    ("GATEWAY_TRUSTED_PROXIES", "-1"),
    ("GATEWAY_RATE_LIMITS_ENABLED", "maybe"),
    ("GATEWAY_PUBLIC_URL", "gateway.example.com"),
    ("GATEWAY_PUBLIC_URL", "https://gw.example.com/?x=1"),
    ("GATEWAY_PASSWORD_HASH", "md5"),
    ("GATEWAY_RETURN_URLS", "javascript:alert(1)"),
])
def test_a_bad_value_fails_loudly_naming_its_variable(variable, value):
    with pytest.raises(SettingsError, match=variable):
        Settings.from_environ({variable: value})


def test_an_unknown_gateway_variable_is_a_typo_not_ignored():
    with pytest.raises(SettingsError, match="GATEWAY_PUBLIK_URL"):
        Settings.from_environ({"GATEWAY_PUBLIK_URL": "https://x.example"})


def test_test_variables_are_left_to_the_test_suite():
    Settings.from_environ({"GATEWAY_TEST_DATABASE_URL": "postgresql://x"})


def test_every_setting_has_help():
    rows = describe()
    assert rows and all(help_text.strip() for _, _, help_text in rows)


def test_the_readme_documents_every_setting_exactly():
    from pathlib import Path

    from gateway.core.settings import markdown_table

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    assert markdown_table() in readme, (
        "README's settings table is out of date: paste `flask --app wsgi settings --markdown`")
