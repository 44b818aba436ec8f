"""An API that echoes secrets in its error answers (a real API's error page may quote the request):
none of them reaches any file of the bundle, the job summary or the console. The API key, the
password, every access and refresh token the run obtained: each is looked for by its first
characters, so a cut quote counts too."""

from __future__ import annotations

import pytest
import requests

from loadtest import contract
from loadtest.sandbox import running_sandbox
from tests.conftest import run_loadtest
from tests.integration.echo_proxy import echoing_proxy

pytestmark = pytest.mark.slow

API_KEY = "f3c9a1d2-echoed-api-key-7e41"
EMAIL = "ci.user@example.org"
PASSWORD = "Sup3r-Secret-Echoed-Pa55word"
PROBE = 16
"""Characters of a secret looked for, at its start, middle and end: a quote cut after them still leaks it
(every JWT starts with the same header, so a token's own characters are its middle and end)."""


def probes(secret: str) -> set[str]:
    middle = len(secret) // 2
    return {secret[:PROBE], secret[middle : middle + PROBE], secret[-PROBE:]}


def leaks(text: str, secrets: dict[str, str]) -> list[str]:
    return [name for name, secret in secrets.items() if any(probe in text for probe in probes(secret))]


def test_secrets_an_api_echoes_reach_no_file_summary_or_console(tmp_path):
    out = tmp_path / "bundle"
    with running_sandbox(api_key=API_KEY) as upstream, echoing_proxy(upstream) as (proxy, echoes):
        account = {"email": EMAIL, "password": PASSWORD}
        signed_up = requests.post(
            upstream + contract.SIGN_UP.path,
            json=account,
            headers={contract.API_KEY_HEADER: API_KEY},
            timeout=10,
        )
        assert signed_up.status_code == 201, signed_up.text
        env = {"LOADTEST_EMAIL": EMAIL, "LOADTEST_PASSWORD": PASSWORD, "LOADTEST_API_KEY": API_KEY}
        proc = run_loadtest("run", "--preset", "smoke", "-t", "4s", "--host", proxy, "--out", out, env=env)

    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    assert {"key", "password", "access", "refresh", "url"} <= set(echoes.echoed), echoes.echoed
    secrets = {"API key": API_KEY, "password": PASSWORD}
    secrets |= {f"token {n}": token for n, token in enumerate(sorted(echoes.tokens))}
    assert len(echoes.tokens) >= 2, "the run obtained no tokens through the proxy"
    files = sorted(path for path in out.rglob("*") if path.is_file())
    assert {"summary.md", "locust_failures.csv", "report.html", "locust.json"} <= {p.name for p in files}
    found = {path.name: leaks(path.read_text(errors="replace"), secrets) for path in files}
    found["console"] = leaks(proc.stdout + proc.stderr, secrets)
    assert not any(found.values()), {name: names for name, names in found.items() if names}
    failures = (out / "locust_failures.csv").read_text()
    assert "you sent X-API-Token=***" in failures and "*** is too common" in failures
    assert "http://***@example.org/" in failures, "a URL's credentials (the email's local part) are masked"
