"""Fake data pools, built once so that a Locust task costs a list lookup, not a Faker call.

Faker is slow (tens of microseconds per value); a load generator that calls it
in every task spends its CPU on data instead of requests. The pools are built
at start from an optional seed, which makes a run's data reproducible.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from itertools import count

from faker import Faker

POOL_SIZE = 256


@dataclass(frozen=True)
class DataPools:
    """Immutable pools of realistic values; pick from them with ``random.choice``."""

    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    passwords: tuple[str, ...] = field(repr=False)
    phone_numbers: tuple[str, ...]
    search_terms: tuple[str, ...]
    messages: tuple[str, ...]
    collection_titles: tuple[str, ...]
    descriptions: tuple[str, ...]
    colors: tuple[str, ...]
    run_nonce: str
    """Makes the e-mail addresses of this run unique, so sign-ups do not collide with an earlier run."""

    @classmethod
    def build(cls, seed: int | None = None, size: int = POOL_SIZE) -> DataPools:
        fake = Faker()
        fake.seed_instance(seed if seed is not None else secrets.randbits(32))
        nonce_source = random.Random(seed) if seed is not None else secrets.SystemRandom()
        return cls(
            first_names=tuple(fake.first_name() for _ in range(size)),
            last_names=tuple(fake.last_name() for _ in range(size)),
            # Long enough and mixed, so that a password validator accepts it.
            passwords=tuple(fake.password(length=14, special_chars=False) for _ in range(size)),
            # Digits only, at most 15: any phone field takes them (Faker's own may carry "x123").
            phone_numbers=tuple(f"+{fake.numerify('1##########')}" for _ in range(size)),
            search_terms=tuple(fake.word() for _ in range(size)),
            messages=tuple(fake.paragraph(nb_sentences=2) for _ in range(size)),
            collection_titles=tuple(f"{fake.word().title()} {fake.word()}" for _ in range(size)),
            descriptions=tuple(fake.sentence(nb_words=10) for _ in range(size)),
            colors=tuple(fake.hex_color().upper() for _ in range(size)),
            run_nonce=f"{nonce_source.getrandbits(40):010x}",
        )


@dataclass(frozen=True)
class Identity:
    """One account of a simulated user: what sign-up, sign-in and contact-us send."""

    email: str
    password: str = field(repr=False)
    first_name: str
    last_name: str
    phone_number: str


class IdentityFactory:
    """Hands out unique, valid sign-up identities from the pools."""

    def __init__(self, pools: DataPools, rng: random.Random, process_tag: str = "") -> None:
        self._pools = pools
        self._rng = rng
        self._serial = count(1)
        # Worker processes share a seed; the tag keeps their addresses apart.
        self._prefix = f"{pools.run_nonce}{process_tag}"

    def new(self) -> Identity:
        first = self._rng.choice(self._pools.first_names)
        last = self._rng.choice(self._pools.last_names)
        return Identity(
            email=f"{first}.{last}.{self._prefix}-{next(self._serial)}@example.org".lower(),
            password=self._rng.choice(self._pools.passwords),
            first_name=first,
            last_name=last,
            phone_number=self._rng.choice(self._pools.phone_numbers),
        )
