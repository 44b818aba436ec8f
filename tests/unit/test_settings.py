"""Settings from the environment: every LOADTEST_* variable read once, secrets never in a repr."""

from loadtest.settings import Settings

ENVIRON = {
    "LOADTEST_HOST": " https://staging.example.org ",
    "LOADTEST_API_KEY": "key-0b9e-secret",
    "LOADTEST_EMAIL": "a@example.org",
    "LOADTEST_PASSWORD": "hunter2-secret",
    "LOADTEST_TOKEN": "tok-XYZ",
    "LOADTEST_RUN_TIME": "10s",
    "LOADTEST_COMMIT": "c0ffee",
    "LOADTEST_PRODUCTION_HOSTS": "Mirror.Example.com,",
    "LOADTEST_PRESETS_DIR": " loadtest/presets ",
}


def test_every_variable_is_read():
    settings = Settings.from_environ(ENVIRON)
    assert (settings.host, settings.email, settings.run_time, settings.commit) == (
        "https://staging.example.org",
        "a@example.org",
        "10s",
        "c0ffee",
    )
    assert settings.is_production("https://mirror.example.com/") and settings.is_production(
        "https://backend.amal.education"
    )
    assert not settings.is_production("https://staging.example.org")
    assert str(settings.presets_dir) == "loadtest/presets"
    assert Settings.from_environ({}).presets_dir is None


def test_secrets_never_show_in_repr_and_are_listed_for_masking():
    settings = Settings.from_environ(ENVIRON)
    shown = repr(settings)
    assert "hunter2-secret" not in shown and "tok-XYZ" not in shown and "key-0b9e-secret" not in shown
    assert set(settings.secrets()) == {"hunter2-secret", "tok-XYZ", "key-0b9e-secret"}


def test_how_users_authenticate():
    token_only = Settings.from_environ({"LOADTEST_TOKEN": "t"})
    account = Settings.from_environ({"LOADTEST_EMAIL": "a@example.org", "LOADTEST_PASSWORD": "p"})
    half = Settings.from_environ({"LOADTEST_EMAIL": "a@example.org"})
    assert token_only.token_only and token_only.has_credentials and not token_only.can_sign_in
    assert account.can_sign_in and not account.token_only
    assert not half.has_credentials
