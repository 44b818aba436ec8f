"""Fake data pools: built once, reproducible with a seed, unique sign-up identities."""

import random

from loadtest.user.data import DataPools, IdentityFactory


def test_same_seed_gives_the_same_pools():
    assert DataPools.build(seed=7) == DataPools.build(seed=7)


def test_no_seed_gives_different_pools():
    assert DataPools.build().run_nonce != DataPools.build().run_nonce


def test_identities_are_unique_and_valid():
    pools = DataPools.build(seed=1, size=8)
    factory = IdentityFactory(pools, random.Random(1), process_tag="p1")
    identities = [factory.new() for _ in range(500)]
    emails = [i.email for i in identities]
    assert len(set(emails)) == 500
    assert all(e.endswith("@example.org") and e.count("@") == 1 for e in emails)
    assert all(len(i.password) >= 8 and not i.password.isdigit() for i in identities)


def test_processes_sharing_a_seed_get_distinct_addresses():
    pools = DataPools.build(seed=1, size=8)
    a = IdentityFactory(pools, random.Random(1), process_tag="p1").new()
    b = IdentityFactory(pools, random.Random(1), process_tag="p2").new()
    assert a.email != b.email
