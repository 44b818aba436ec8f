"""The vocabulary of the API contract: fields, their kinds, endpoints.

A ``Field`` says what one request field is (its kind and limits) and where the load test
takes its value from (``source``, a function of the simulated user's ``RequestData``). Both
sides use the same object: the load test calls ``source`` to build a request, the stand-in
calls ``kind.validate`` to accept or refuse one, with Django REST Framework's words.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

Errors = list[str]
"""DRF's error list for one field: ``["This field is required."]``."""


class RequestData(Protocol):
    """What a field's source reads: the simulated user's fake data, identity and tokens."""

    @property
    def pools(self) -> Any: ...

    @property
    def identity(self) -> Any: ...

    @property
    def refresh_token(self) -> str: ...

    @property
    def rng(self) -> Any: ...

    def pick(self, pool: tuple[Any, ...]) -> Any: ...


Source = Callable[[RequestData], Any]


# --- kinds: what a value must be, in DRF's words --------------------------------------------


@dataclass(frozen=True)
class Text:
    """A CharField: a string (DRF also takes numbers), stripped, non-blank unless ``blank``."""

    max_length: int = 150
    blank: bool = False

    def validate(self, value: Any) -> tuple[Any, Errors]:
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            return None, ["Not a valid string."]
        text = str(value).strip()
        if not text and not self.blank:
            return None, ["This field may not be blank."]
        if len(text) > self.max_length:
            return None, [f"Ensure this field has no more than {self.max_length} characters."]
        return text, []


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


@dataclass(frozen=True)
class Email:
    """An EmailField."""

    max_length: int = 254

    def validate(self, value: Any) -> tuple[Any, Errors]:
        text, errors = Text(self.max_length).validate(value)
        if errors:
            return None, errors
        return (text, []) if _EMAIL.match(text) else (None, ["Enter a valid email address."])


@dataclass(frozen=True)
class Password:
    """A password: what Django's default validators refuse, a short or an all-digit one."""

    min_length: int = 8
    max_length: int = 128

    def validate(self, value: Any) -> tuple[Any, Errors]:
        text, errors = Text(self.max_length).validate(value)
        if errors:
            return None, errors
        value = str(value)  # DRF takes a number as its text; the validators then judge that text
        problems = []
        if len(value) < self.min_length:
            problems.append(
                f"This password is too short. It must contain at least {self.min_length} characters."
            )
        if value.isdigit():
            problems.append("This password is entirely numeric.")
        if len(value) > self.max_length:
            problems.append(f"Ensure this field has no more than {self.max_length} characters.")
        return (None, problems) if problems else (value, [])


@dataclass(frozen=True)
class Choice:
    """A ChoiceField of integers (DRF also accepts their text: ``"1"``)."""

    choices: tuple[int, ...]

    def validate(self, value: Any) -> tuple[Any, Errors]:
        # As DRF's ChoiceField: the value's text must be one of the choices' texts.
        for choice in self.choices:
            if str(value) == str(choice):
                return choice, []
        return None, [f'"{value}" is not a valid choice.']


@dataclass(frozen=True)
class Pattern:
    """A CharField with a RegexValidator, e.g. a colour ``#RRGGBB``."""

    regex: str
    message: str
    max_length: int = 150

    def validate(self, value: Any) -> tuple[Any, Errors]:
        text, errors = Text(self.max_length).validate(value)
        if errors:
            return None, errors
        return (text, []) if re.fullmatch(self.regex, text) else (None, [self.message])


class Kind(Protocol):
    def validate(self, value: Any) -> tuple[Any, Errors]:
        """The clean value and no errors, or None and DRF's messages."""
        ...


# --- fields and endpoints ----------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """One field of a request body or query string."""

    name: str
    kind: Kind
    source: Source
    """Where the load test takes the value from; None means leave the field out this time."""
    required: bool = True
    note: str = ""


@dataclass(frozen=True)
class Timing:
    """Response-time percentiles in ms, as measured against production (see contract.endpoints)."""

    p50: float
    p90: float
    p95: float
    p99: float

    def quantiles(self) -> dict[float, float]:
        return {0.50: self.p50, 0.90: self.p90, 0.95: self.p95, 0.99: self.p99}


Check = Callable[[Any], str | None]
"""Validates a parsed JSON body; returns a failure message a person can act on, or None."""


@dataclass(frozen=True)
class Endpoint:
    """One endpoint: how the load test calls it and what the stand-in accepts and answers."""

    method: str
    path: str
    area: str
    """The product area, also the Locust tag of its task: auth, dashboard, ai, library, help."""
    status: int
    """The success status."""
    check: Check
    """The load test's check of a success answer."""
    auth: bool = True
    """Whether it needs ``Authorization: Bearer <access>``; every request carries the API key."""
    writes: bool = False
    """Whether it creates data: such tasks carry the tag ``write`` (refused against production)."""
    body: tuple[Field, ...] = ()
    query: tuple[Field, ...] = ()
    timing: Timing | None = None
    """Production's response times, where the evidence measured them."""
    evidence: str = ""
    """What is known about it, and from where."""
    assumed: str = ""
    """What is not known and was assumed (kept from the stand-in's earlier shapes)."""

    def __repr__(self) -> str:
        return f"Endpoint({self.name!r})"

    @property
    def name(self) -> str:
        """The stats name, ``GET /api/dashboard/``: also the thresholds.json key."""
        return f"{self.method} {self.path}"

    @property
    def tags(self) -> tuple[str, ...]:
        return (self.area, "write") if self.writes else (self.area,)

    def build_body(self, data: RequestData) -> dict[str, Any] | None:
        """The JSON body the load test sends, or None for an endpoint without one."""
        return _build(self.body, data) if self.body else None

    def build_query(self, data: RequestData) -> tuple[tuple[str, Any], ...]:
        return tuple(_build(self.query, data).items())

    def validate_body(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """The clean body, or ``ContractViolation`` with DRF's ``{"field": [messages]}``."""
        return _validate(self.body, data)

    def validate_query(self, params: Mapping[str, str]) -> dict[str, Any]:
        return _validate(self.query, params)


class ContractViolation(ValueError):
    """A request the API refuses: ``errors`` is DRF's 400 body."""

    def __init__(self, errors: dict[str, Errors]) -> None:
        super().__init__(errors)
        self.errors = errors


def _build(fields: tuple[Field, ...], data: RequestData) -> dict[str, Any]:
    values = {f.name: f.source(data) for f in fields}
    return {name: value for name, value in values.items() if value is not None}


def _validate(fields: tuple[Field, ...], data: Mapping[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    errors: dict[str, Errors] = {}
    for f in fields:
        if f.name not in data:
            if f.required:
                errors[f.name] = ["This field is required."]
            continue
        if data[f.name] is None:
            errors[f.name] = ["This field may not be null."]
            continue
        value, problems = f.kind.validate(data[f.name])
        if problems:
            errors[f.name] = problems
        else:
            clean[f.name] = value
    if errors:
        raise ContractViolation(errors)
    return clean


def new_id() -> str:
    """An id as the API writes them: a UUID."""
    return str(uuid.uuid4())


# --- response checks -----------------------------------------------------------------------------


def has_keys(*keys: str) -> Check:
    def check(body: Any) -> str | None:
        if not isinstance(body, dict):
            return f"expected a JSON object with {', '.join(keys)}, got {type(body).__name__}"
        missing = [k for k in keys if k not in body]
        return f"response lacks {', '.join(repr(k) for k in missing)}" if missing else None

    return check


_has_page_keys = has_keys("count", "next", "previous")


def paginated(body: Any) -> str | None:
    """A DRF page: count, next, previous and a results list."""
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        return "expected a paginated body with a 'results' list (count/next/previous/results)"
    return _has_page_keys(body)


def list_or_page(body: Any) -> str | None:
    return None if isinstance(body, list) else paginated(body)


def json_object(body: Any) -> str | None:
    return None if isinstance(body, dict) else f"expected a JSON object, got {type(body).__name__}"


def object_or_list(body: Any) -> str | None:
    if isinstance(body, dict | list):
        return None
    return f"expected a JSON object or list, got {type(body).__name__}"


@dataclass(frozen=True)
class Contract:
    """The endpoints, by stats name."""

    endpoints: tuple[Endpoint, ...]
    by_name: Mapping[str, Endpoint] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {e.name: e for e in self.endpoints})

    def __iter__(self):
        return iter(self.endpoints)

    def __len__(self) -> int:
        return len(self.endpoints)

    @property
    def tags(self) -> tuple[str, ...]:
        """Every tag of an endpoint (and so of its task), sorted: what --tags and --exclude-tags may name."""
        return tuple(sorted({tag for e in self.endpoints for tag in e.tags}))

    def tag_problem(self, tags: tuple[str, ...] = (), exclude_tags: tuple[str, ...] = ()) -> str | None:
        """Why Locust's ``--tags`` / ``--exclude-tags`` cannot be run (a tag no task has, or no task
        left), in one line; None when they select at least one task."""
        for option, names in (("--tags", tags), ("--exclude-tags", exclude_tags)):
            unknown = [name for name in names if name not in self.tags]
            if unknown:
                return f"{option}: unknown tag {unknown[0]!r}; the tags are: {', '.join(self.tags)}"
        if not self.selected(tags, exclude_tags):
            chosen = " ".join(
                f"{option} {' '.join(names)}"
                for option, names in (("--tags", tags), ("--exclude-tags", exclude_tags))
                if names
            )
            return f"{chosen} selects no task; the tags are: {', '.join(self.tags)}"
        return None

    def selected(
        self, tags: tuple[str, ...] = (), exclude_tags: tuple[str, ...] = ()
    ) -> tuple[Endpoint, ...]:
        """The endpoints Locust's ``--tags`` / ``--exclude-tags`` keep, in contract order."""
        include, exclude = set(tags), set(exclude_tags)
        return tuple(
            e for e in self.endpoints if not set(e.tags) & exclude and (not include or set(e.tags) & include)
        )
