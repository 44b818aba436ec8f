"""The sandbox's in-memory state, bounded so that a 30-minute soak cannot grow memory without limit.

Every mutation runs without a gevent yield (no I/O, no sleep), so under gevent's cooperative
scheduling each one is atomic and no lock is needed. When a cap is reached the oldest entry
goes first; users are evicted least recently active first, so the accounts a load test keeps
using survive a flood of sign-ups.
"""

from __future__ import annotations

import hashlib
import itertools
import secrets
import time
import uuid
from collections import OrderedDict, deque
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True, kw_only=True)
class Caps:
    """Upper bounds of the state; the defaults are documented in ``--help`` and the package docstring."""

    users: int = 10_000
    threads_per_user: int = 100
    threads: int = 20_000
    collections_per_user: int = 100
    collections: int = 20_000
    messages_per_thread: int = 50
    contact_messages: int = 10_000

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"cap {name} must be a positive integer, got {value!r}")


@dataclass(eq=False, kw_only=True)
class User:
    id: int
    email: str
    first_name: str
    last_name: str
    date_joined: float
    salt: bytes = field(repr=False)
    password_hash: bytes = field(repr=False)
    thread_ids: OrderedDict[str, None] = field(default_factory=OrderedDict, repr=False)
    collection_ids: OrderedDict[str, None] = field(default_factory=OrderedDict, repr=False)
    version: int = 0
    """Bumped whenever the user's threads or collections change: cached views of the user go stale."""
    cached_dashboard: tuple[int, bytes] | None = field(default=None, repr=False)


@dataclass(eq=False, kw_only=True)
class Thread:
    id: str
    """A UUID, as the API's ids are."""
    owner_id: int
    title: str
    created_at: float
    messages: deque[dict]


@dataclass(eq=False, kw_only=True)
class Collection:
    id: str
    owner_id: int
    title: str
    description: str
    privacy: int
    color_code: str
    created_at: float


class DuplicateEmail(Exception):
    pass


def _hash_password(password: str, salt: bytes) -> bytes:
    # One SHA-256 round, not PBKDF2: a stand-in must not spend the load test's time hashing.
    return hashlib.sha256(salt + password.encode("utf-8", "surrogatepass")).digest()


class Store:
    """Users, chat threads, collections and contact messages, each capped by ``Caps``."""

    def __init__(self, caps: Caps | None = None) -> None:
        self.caps = caps or Caps()
        self.users: OrderedDict[int, User] = OrderedDict()
        self.user_by_email: dict[str, int] = {}
        self.threads: OrderedDict[str, Thread] = OrderedDict()
        self.collections: OrderedDict[str, Collection] = OrderedDict()
        self.contact_messages: deque[dict] = deque(maxlen=self.caps.contact_messages)
        self.messages = 0
        self.requests_served = 0
        self._ids = itertools.count(1)

    def add_user(self, *, email: str, password: str, first_name: str, last_name: str) -> User:
        key = email.lower()
        if key in self.user_by_email:
            raise DuplicateEmail(email)
        salt = secrets.token_bytes(8)
        user = User(
            id=next(self._ids),
            email=email,
            first_name=first_name,
            last_name=last_name,
            date_joined=time.time(),
            salt=salt,
            password_hash=_hash_password(password, salt),
        )
        while len(self.users) >= self.caps.users:
            self._remove_user(next(iter(self.users.values())))
        self.users[user.id] = user
        self.user_by_email[key] = user.id
        return user

    def authenticate(self, email: str, password: str) -> User | None:
        user = self.users.get(self.user_by_email.get(email.lower(), 0))
        if user is None or user.password_hash != _hash_password(password, user.salt):
            return None
        self.users.move_to_end(user.id)
        return user

    def active_user(self, user_id: int) -> User | None:
        """The user, marked as most recently active; None if unknown or evicted."""
        user = self.users.get(user_id)
        if user is not None:
            self.users.move_to_end(user_id)
        return user

    def add_thread(self, user: User, *, title: str, messages: list[dict]) -> Thread:
        thread = Thread(
            id=str(uuid.uuid4()),
            owner_id=user.id,
            title=title,
            created_at=time.time(),
            messages=deque(maxlen=self.caps.messages_per_thread),
        )
        for message in messages:
            self.add_message(thread, message)
        while len(user.thread_ids) >= self.caps.threads_per_user:
            self._remove_thread(self.threads[next(iter(user.thread_ids))])
        while len(self.threads) >= self.caps.threads:
            self._remove_thread(next(iter(self.threads.values())))
        self.threads[thread.id] = thread
        user.thread_ids[thread.id] = None
        user.version += 1
        return thread

    def add_message(self, thread: Thread, message: dict) -> None:
        if len(thread.messages) < self.caps.messages_per_thread:
            self.messages += 1
        thread.messages.append(message)

    def add_collection(
        self, user: User, *, title: str, description: str, privacy: int, color_code: str
    ) -> Collection:
        collection = Collection(
            id=str(uuid.uuid4()),
            owner_id=user.id,
            title=title,
            description=description,
            privacy=privacy,
            color_code=color_code,
            created_at=time.time(),
        )
        while len(user.collection_ids) >= self.caps.collections_per_user:
            self._remove_collection(self.collections[next(iter(user.collection_ids))])
        while len(self.collections) >= self.caps.collections:
            self._remove_collection(next(iter(self.collections.values())))
        self.collections[collection.id] = collection
        user.collection_ids[collection.id] = None
        user.version += 1
        return collection

    def collections_of(self, user: User) -> list[Collection]:
        """The user's collections, newest first."""
        return [self.collections[i] for i in reversed(user.collection_ids)]

    def threads_of(self, user: User) -> list[Thread]:
        """The user's chat threads, newest first."""
        return [self.threads[i] for i in reversed(user.thread_ids)]

    def add_contact_message(self, message: dict) -> dict:
        message = {"id": next(self._ids), **message}
        self.contact_messages.append(message)  # deque(maxlen) drops the oldest
        return message

    def stats(self) -> dict:
        return {
            "users": len(self.users),
            "threads": len(self.threads),
            "collections": len(self.collections),
            "messages": self.messages,
            "contact_messages": len(self.contact_messages),
            "requests_served": self.requests_served,
            "caps": asdict(self.caps),
        }

    def _remove_user(self, user: User) -> None:
        for thread_id in list(user.thread_ids):
            self._remove_thread(self.threads[thread_id])
        for collection_id in list(user.collection_ids):
            self._remove_collection(self.collections[collection_id])
        del self.users[user.id]
        del self.user_by_email[user.email.lower()]

    def _remove_thread(self, thread: Thread) -> None:
        del self.threads[thread.id]
        owner = self.users.get(thread.owner_id)
        if owner is not None:
            owner.thread_ids.pop(thread.id, None)
            owner.version += 1
        self.messages -= len(thread.messages)

    def _remove_collection(self, collection: Collection) -> None:
        del self.collections[collection.id]
        owner = self.users.get(collection.owner_id)
        if owner is not None:
            owner.collection_ids.pop(collection.id, None)
            owner.version += 1
