"""The one masking of secrets (loadtest.text.masking): every written form of a secret, URL credentials,
tokens as the run obtains them, and the failure messages masked before Locust records them."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from urllib.parse import quote

import pytest

from loadtest.text import masking
from loadtest.text.masking import MASK, Masker
from loadtest.text.untrusted import code_span, markdown_text
from loadtest.user import session

PASSWORD = 'Sup3r*Secret_pa"ss &<word>'
API_KEY = "f3c9a1d2-secret-api-key"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJ0b2tlbl90eXBlIjoiYWNjZXNzIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ"


@pytest.mark.parametrize(
    "written",
    [
        PASSWORD,
        quote(PASSWORD, safe=""),
        json.dumps(PASSWORD)[1:-1],
        html.escape(PASSWORD),
        markdown_text(PASSWORD, limit=100),
        code_span(PASSWORD, limit=100)[1:-1],
    ],
    ids=["plain", "url", "json", "html", "markdown", "code-span"],
)
def test_a_secret_is_masked_however_it_is_written(written):
    assert Masker([PASSWORD]).mask(f"before {written} after") == f"before {MASK} after"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("see http://ci.user:hunter2@example.org/x", "see http://***@example.org/x"),
        ("https://ci.user@example.org:pw@host:8000/", "https://***@host:8000/"),
        ("mail ci.user@example.org", "mail ci.user@example.org"),
        (f"Authorization: Bearer {JWT}", "Authorization: Bearer ***"),
    ],
)
def test_url_credentials_and_jwts_are_masked_without_being_registered(text, masked):
    assert Masker().mask(text) == masked


def test_a_token_is_masked_once_obtained_even_among_thousands():
    masker = Masker()
    masker.add_token(*(f"opaque-token-{n:06d}" for n in range(5000)))

    assert masker.mask("refresh=opaque-token-004321&next") == "refresh=***&next"
    assert masker.mask("token opaque-token-999999") == "token opaque-token-999999"


def test_a_short_value_is_no_secret_worth_masking_everywhere():
    assert Masker(["abc"]).mask("abc abcdef") == "abc abcdef"


def test_a_file_is_masked_in_place(tmp_path):
    path = tmp_path / "locust_failures.csv"
    path.write_text(f'Method,Name,Error\nGET,/a,"400 you sent X-API-Token={API_KEY}"\n')

    assert Masker([API_KEY]).mask_file(path) is True
    assert API_KEY not in path.read_text() and MASK in path.read_text()
    assert Masker([API_KEY]).mask_file(tmp_path / "missing.csv") is False


@dataclass
class Answer:
    status_code: int
    content: bytes


def test_a_failure_message_is_masked_before_it_is_cut(monkeypatch):
    monkeypatch.setattr(masking, "RUN", Masker([API_KEY]))
    filler = "x" * (session.MAX_ANSWER_CHARS - 40)
    answer = Answer(400, json.dumps({"detail": f"{filler} you sent X-API-Token={API_KEY}"}).encode())

    message = session.status_text(answer)

    assert API_KEY[:5] not in message and MASK in message
