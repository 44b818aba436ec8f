"""The sandbox's in-memory state stays within its caps, dropping the oldest first."""

import pytest

from loadtest.sandbox.state import Caps, DuplicateEmail, Store


def add_user(store: Store, n: int):
    return store.add_user(email=f"u{n}@example.com", password="password-1", first_name="", last_name="")


def test_users_beyond_the_cap_evict_the_least_recently_active():
    store = Store(Caps(users=3))
    users = [add_user(store, n) for n in range(3)]
    assert store.authenticate("u0@example.com", "password-1") is users[0]  # u0 active again: u1 is now oldest
    add_user(store, 3)
    assert len(store.users) == 3
    assert store.authenticate("u1@example.com", "password-1") is None
    assert store.active_user(users[0].id) is users[0]
    add_user(store, 1)  # the evicted email may sign up again


def test_emails_are_unique_regardless_of_case_and_passwords_are_checked():
    store = Store()
    add_user(store, 1)
    with pytest.raises(DuplicateEmail):
        store.add_user(email="U1@Example.com", password="x", first_name="", last_name="")
    assert store.authenticate("u1@example.com", "wrong-password") is None
    assert store.authenticate("U1@EXAMPLE.COM", "password-1") is not None


def test_threads_are_capped_per_user_and_in_all():
    store = Store(Caps(threads_per_user=3, threads=5))
    alice, bob = add_user(store, 1), add_user(store, 2)
    for n in range(5):
        store.add_thread(alice, title=f"a{n}", messages=[{"content": "q"}, {"content": "a"}])
    assert [t.title for t in store.threads_of(alice)] == ["a4", "a3", "a2"]
    for n in range(4):
        store.add_thread(bob, title=f"b{n}", messages=[{"content": "q"}])
    # b2 hit the cap of 5 in all and evicted a2, the oldest; b3 hit Bob's cap of 3 and evicted b0.
    assert len(store.threads) == 5
    assert [t.title for t in store.threads_of(alice)] == ["a4", "a3"]
    assert [t.title for t in store.threads_of(bob)] == ["b3", "b2", "b1"]
    assert store.messages == sum(len(t.messages) for t in store.threads.values())


def test_messages_per_thread_are_capped():
    store = Store(Caps(messages_per_thread=3))
    thread = store.add_thread(add_user(store, 1), title="t", messages=[{"n": n} for n in range(5)])
    assert [m["n"] for m in thread.messages] == [2, 3, 4]
    assert store.messages == 3


def test_collections_are_capped_per_user_and_in_all():
    store = Store(Caps(collections_per_user=2, collections=3))
    alice, bob = add_user(store, 1), add_user(store, 2)
    for n in range(3):
        store.add_collection(alice, name=f"a{n}", description="")
    assert [c.name for c in store.collections_of(alice)] == ["a2", "a1"]
    store.add_collection(bob, name="b0", description="")
    store.add_collection(bob, name="b1", description="")
    assert len(store.collections) == 3
    assert [c.name for c in store.collections_of(alice)] == ["a2"]


def test_evicting_a_user_drops_their_threads_and_collections():
    store = Store(Caps(users=1))
    alice = add_user(store, 1)
    store.add_thread(alice, title="t", messages=[{"content": "q"}])
    store.add_collection(alice, name="c", description="")
    add_user(store, 2)
    assert store.stats() | {"caps": None} == {
        "users": 1,
        "threads": 0,
        "collections": 0,
        "messages": 0,
        "contact_messages": 0,
        "requests_served": 0,
        "caps": None,
    }


def test_contact_messages_keep_the_newest():
    store = Store(Caps(contact_messages=2))
    for n in range(5):
        store.add_contact_message({"message": str(n)})
    assert [m["message"] for m in store.contact_messages] == ["3", "4"]


@pytest.mark.parametrize("bad", [0, -1, True, 1.5])
def test_caps_must_be_positive_integers(bad):
    with pytest.raises(ValueError, match="positive integer"):
        Caps(users=bad)
