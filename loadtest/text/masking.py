"""One masking of secrets for everything a run writes: the one definition of what is masked and how.

Used at every place text leaves the run: Locust's failure messages at their source (loadtest.user.session,
before Locust records them), Locust's output on the console and in locust.log (loadtest.run.locust),
the files Locust writes into the bundle (its CSVs, report.html, locust.json), the gate's summary.md,
verdict.json and annotations, and a started server's server.log.

The secrets:

- the API key, the password and a ready access token (``Settings.secrets()``), ``add``-ed once;
- every access and refresh token the run obtains, ``add``-ed as it obtains them;
- the credentials of any URL (``https://user:password@host``: the user part is often the email's
  local part, the password's neighbour), masked wherever a URL is written;
- anything shaped like a JWT (``eyJ...``), registered or not: no report has a reason to show one.

A secret is masked as it is written plainly, percent-encoded (a URL, a form), JSON-escaped (locust.json,
a JSON body quoted in a failure), HTML-escaped (report.html) and markdown-escaped (summary.md).
"""

from __future__ import annotations

import html
import json
import re
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import quote, quote_plus

from loadtest.text.untrusted import code_span, markdown_text

MASK = "***"
MIN_SECRET_CHARS = 6
"""A shorter value is not masked: it would mask ordinary words and numbers everywhere (a 4-character
password masked in report.html's own JavaScript breaks the page), and it is no secret worth the name."""
MAX_TOKENS = 10_000
"""Tokens remembered per masker: the most recent ones (an echoed token is the one just sent). Bounded,
as all state of a run is."""

_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^\s/?#\"'<>\\]*@")
"""``scheme://user:password@``: the user info, up to the host's ``@`` (an email's ``@`` included)."""
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_TOKEN_LIKE = re.compile(r"[A-Za-z0-9_.~+/=-]{12,}")
"""A run of token characters, looked up among the registered tokens (a set: fast however many)."""


class Masker:
    """Masks its secrets, URL credentials and JWTs in text and files; ``add`` as secrets become known."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._fixed: list[str] = []
        """Every written form of every fixed secret, longest first."""
        self._tokens: OrderedDict[str, None] = OrderedDict()
        self.add(*secrets)

    def add(self, *secrets: str) -> None:
        """Secrets to mask from now on: the API key, the password, a token as the run obtains it."""
        forms = set(self._fixed)
        for secret in secrets:
            if secret and len(secret) >= MIN_SECRET_CHARS:
                forms |= {form for form in written_forms(secret) if len(form) >= MIN_SECRET_CHARS}
        self._fixed = sorted(forms, key=len, reverse=True)

    def add_token(self, *tokens: str) -> None:
        """A token the run obtained (there may be thousands): looked up, not searched for one by one."""
        plain = [token for token in tokens if token and len(token) >= MIN_SECRET_CHARS]
        for token in plain:
            if _TOKEN_LIKE.fullmatch(token):
                self._remember_token(token)
            else:  # an unusual alphabet: searched for like a fixed secret
                self.add(token)

    def _remember_token(self, token: str) -> None:
        self._tokens[token] = None
        self._tokens.move_to_end(token)
        while len(self._tokens) > MAX_TOKENS:
            self._tokens.popitem(last=False)

    def mask(self, text: str) -> str:
        """``text`` with every secret, URL credentials and JWT replaced by MASK."""
        for form in self._fixed:
            if form in text:
                text = text.replace(form, MASK)
        text = _URL_CREDENTIALS.sub(rf"\g<1>{MASK}@", text)
        text = _JWT.sub(MASK, text)
        if self._tokens:
            text = _TOKEN_LIKE.sub(self._masked_token, text)
        return text

    def _masked_token(self, found: re.Match[str]) -> str:
        run = found.group()
        if run in self._tokens:
            return MASK
        # A token inside a longer run (``Bearer=TOKEN``, ``token=TOKEN&``): its pieces around = / + .
        for piece in re.split(r"[=+/]", run):
            if piece in self._tokens:
                run = run.replace(piece, MASK)
        return run

    def mask_file(self, path: Path) -> bool:
        """Mask a text file in place (atomically); True if it changed. A missing file is no error."""
        from loadtest.bundle.files import write_atomically

        try:
            text = path.read_text(encoding="utf-8", errors="surrogateescape")
        except (FileNotFoundError, IsADirectoryError):
            return False
        masked = self.mask(text)
        if masked == text:
            return False
        write_atomically(path, masked.encode("utf-8", "surrogateescape").decode("utf-8", "replace"))
        return True

    def mask_files(self, paths: Iterable[Path]) -> list[Path]:
        """``mask_file`` on each; the files that changed."""
        return [path for path in paths if self.mask_file(path)]


def written_forms(secret: str) -> set[str]:
    """How ``secret`` may be written: plainly, in a URL or a form, in JSON, in HTML, in the summary's
    markdown (escaped, or in a code span)."""
    as_json = json.dumps(secret)[1:-1]
    limit = len(secret) + 1
    return {
        markdown_text(secret, limit=limit),
        code_span(secret, limit=limit)[1:-1],
        secret,
        quote(secret, safe=""),
        quote_plus(secret, safe=""),
        as_json,
        json.dumps(secret, ensure_ascii=False)[1:-1],
        html.escape(secret),
        html.escape(as_json),
    }


RUN = Masker()
"""This process's masker: the runner's, or a Locust process's, where the simulated users add the
settings' secrets and the tokens they obtain (loadtest.user.locust_user, loadtest.user.session)."""


def mask(text: str) -> str:
    """``text`` masked by this process's masker (RUN)."""
    return RUN.mask(text)
