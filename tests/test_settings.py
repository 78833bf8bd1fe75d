import pytest

from facturier.email_url import email_settings_from_url


def test_smtp_url_uses_starttls_with_credentials():
    config = email_settings_from_url("smtp://me%40firm.fr:s%3Acret@mail.example:587")
    assert config["EMAIL_BACKEND"].endswith("smtp.EmailBackend")
    assert (config["EMAIL_HOST"], config["EMAIL_PORT"]) == ("mail.example", 587)
    assert (config["EMAIL_HOST_USER"], config["EMAIL_HOST_PASSWORD"]) == ("me@firm.fr", "s:cret")
    assert config["EMAIL_USE_TLS"] and not config["EMAIL_USE_SSL"]


def test_smtps_url_uses_implicit_tls_on_465():
    config = email_settings_from_url("smtps://mail.example")
    assert config["EMAIL_PORT"] == 465 and config["EMAIL_USE_SSL"]
    assert not config["EMAIL_USE_TLS"]


def test_plain_smtp_for_a_local_relay():
    config = email_settings_from_url("smtp://localhost:2525?tls=false")
    assert config["EMAIL_PORT"] == 2525 and not config["EMAIL_USE_TLS"]


def test_file_url_writes_messages_to_a_folder():
    config = email_settings_from_url("file:///srv/facturier/mail")
    assert config["EMAIL_FILE_PATH"] == "/srv/facturier/mail"
    assert config["EMAIL_BACKEND"].endswith("EmlFileBackend")


def test_unknown_scheme_is_refused():
    with pytest.raises(ValueError, match="unknown scheme"):
        email_settings_from_url("carrier-pigeon://coop")


def _check_deploy(**env):
    import os
    import subprocess
    import sys
    from pathlib import Path

    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=Path(__file__).resolve().parent.parent,
        # The environment of a deployment, not of this test run (the browser tests
        # allow sync ORM calls under Playwright's loop, which --deploy rightly flags).
        env={
            **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
            "DEBUG": "",
            **env,
        },
        capture_output=True,
        text=True,
    )


def test_production_settings_pass_the_deploy_checks():
    result = _check_deploy(
        DJANGO_SECURE="1", SECRET_KEY="x" * 20 + "y-random-enough-secret-key-0123456789"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_embedded_default_stays_on_plain_http(client, db):
    from django.conf import settings

    assert not settings.SECURE_SSL_REDIRECT and not settings.SESSION_COOKIE_SECURE
    response = client.get("/login/")
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert response["X-Frame-Options"] == "DENY"


def test_processes_starting_together_share_one_whole_secret_key(tmp_path):
    """The server, its worker and parallel test workers start at once on a fresh
    VAR_DIR: each reads the same complete key, none an empty or half-written one."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    read_key = "from django.conf import settings; print(settings.SECRET_KEY)"
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DATABASE_URL")},
        "VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "facturier.settings",
        "PYTHONPATH": str(Path(__file__).resolve().parent.parent / "src"),
    }
    starts = [
        subprocess.Popen([sys.executable, "-c", read_key], env=env, stdout=subprocess.PIPE)
        for _ in range(6)
    ]
    keys = {start.communicate(timeout=60)[0].decode().strip() for start in starts}
    assert all(start.returncode == 0 for start in starts)
    assert keys == {(tmp_path / "secret_key").read_text().strip()}
    assert len(keys.pop()) >= 50
    assert not list(tmp_path.glob("secret_key.*"))  # no draft left behind
