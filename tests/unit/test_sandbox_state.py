"""The sandbox's in-memory state stays within its caps, dropping the oldest first."""

import uuid

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
        store.add_collection(alice, title=f"a{n}", description="", privacy=1, color_code="#123456")
    assert [c.title for c in store.collections_of(alice)] == ["a2", "a1"]
    store.add_collection(bob, title="b0", description="", privacy=1, color_code="#123456")
    store.add_collection(bob, title="b1", description="", privacy=1, color_code="#123456")
    assert len(store.collections) == 3
    assert [c.title for c in store.collections_of(alice)] == ["a2"]


def test_evicting_a_user_drops_their_threads_and_collections():
    store = Store(Caps(users=1))
    alice = add_user(store, 1)
    store.add_thread(alice, title="t", messages=[{"content": "q"}])
    store.add_collection(alice, title="c", description="", privacy=1, color_code="#123456")
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


def test_threads_and_collections_have_uuid_ids_and_keep_their_fields():
    store = Store()
    alice = add_user(store, 1)
    thread = store.add_thread(alice, title="t", messages=[{"role": 1, "message": "q"}])
    collection = store.add_collection(
        alice, title="Physics", description="d", privacy=2, color_code="#ABCDEF"
    )
    other = store.add_collection(alice, title="Maths", description="", privacy=1, color_code="#000000")
    for item in (thread, collection, other):
        assert str(uuid.UUID(item.id)) == item.id
    assert len({thread.id, collection.id, other.id}) == 3
    assert (collection.title, collection.description, collection.privacy, collection.color_code) == (
        "Physics",
        "d",
        2,
        "#ABCDEF",
    )
    assert store.collections_of(alice) == [other, collection] and store.threads_of(alice) == [thread]


def test_a_change_of_threads_or_collections_makes_the_users_cached_views_stale():
    store = Store(Caps(threads_per_user=1))
    alice = add_user(store, 1)
    versions = [alice.version]
    store.add_thread(alice, title="a", messages=[])
    versions.append(alice.version)
    store.add_thread(alice, title="b", messages=[])  # evicts "a": two changes
    versions.append(alice.version)
    store.add_collection(alice, title="c", description="", privacy=1, color_code="#123456")
    versions.append(alice.version)
    assert versions == sorted(set(versions)) and len(versions) == 4


def test_contact_messages_get_an_id():
    store = Store()
    first = store.add_contact_message({"message": "a"})
    second = store.add_contact_message({"message": "b"})
    assert first["message"] == "a" and isinstance(first["id"], int) and second["id"] != first["id"]
