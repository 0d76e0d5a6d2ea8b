"""Concurrent requests against a live server with several workers, on SQLite and PostgreSQL.

Each test sends 50 requests at the same moment from 50 client threads to a server of 3 worker
processes with 4 threads each, then reads the store back with ``lime-scim export``.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.reliability.live import (
    CONCURRENT_REQUESTS,
    LiveApp,
    Reply,
    consistency_problems,
    mixed_case_variants,
    report,
    require_created,
    run_concurrently,
    status_counts,
    unique_name,
)


def describe(app: LiveApp, replies: list[Reply], rows: int) -> str:
    statuses = ", ".join(f"{status}: {count}" for status, count in sorted(status_counts(replies).items()))
    return f"{app.database}: {len(replies)} requests, statuses {statuses}; {rows} stored"


def assert_one_created(replies: list[Reply]) -> Reply:
    """Check that exactly one reply is 201 and every other one is 409 uniqueness."""
    counts = status_counts(replies)
    assert counts == {201: 1, 409: len(replies) - 1}, f"statuses: {dict(counts)}"
    conflicts = [reply for reply in replies if reply.status == 409]
    assert all(reply.scim_type == "uniqueness" for reply in conflicts), [r.body for r in conflicts[:3]]
    return next(reply for reply in replies if reply.status == 201)


def test_user_posts_same_name_create_one(shared_app: LiveApp, capsys: pytest.CaptureFixture[str]) -> None:
    client = shared_app.client()
    names = mixed_case_variants(unique_name("race.user"), CONCURRENT_REQUESTS)

    replies = run_concurrently([lambda name=name: client.create_user(name) for name in names])

    created = assert_one_created(replies)
    store = shared_app.export()
    rows = store.users_named(names[0])
    report(capsys, f"user_posts_same_name_create_one on {describe(shared_app, replies, len(rows))}")
    assert len(rows) == 1
    assert rows[0]["scim_id"] == created.body["id"]
    assert len(store.coworkers_of(rows[0]["id"])) == 1
    assert consistency_problems(store) == []


def test_group_posts_same_name_create_one(shared_app: LiveApp, capsys: pytest.CaptureFixture[str]) -> None:
    client = shared_app.client()
    names = mixed_case_variants(unique_name("Race Group"), CONCURRENT_REQUESTS)

    replies = run_concurrently([lambda name=name: client.create_group(name) for name in names])

    created = assert_one_created(replies)
    store = shared_app.export()
    rows = store.groups_named(names[0])
    report(capsys, f"group_posts_same_name_create_one on {describe(shared_app, replies, len(rows))}")
    assert len(rows) == 1
    assert rows[0]["scim_id"] == created.body["id"]
    assert consistency_problems(store) == []


def test_user_revivals_race_revive_once(shared_app: LiveApp, capsys: pytest.CaptureFixture[str]) -> None:
    client = shared_app.client()
    name = unique_name("revive.user")
    user_id = require_created(client.create_user(name, title="before"))
    assert client.delete(f"/Users/{user_id}").status == 204
    names = mixed_case_variants(name, CONCURRENT_REQUESTS)

    replies = run_concurrently([lambda name=name: client.create_user(name) for name in names])

    created = assert_one_created(replies)
    assert created.body["id"] == user_id
    store = shared_app.export()
    rows = store.users_named(name)
    report(capsys, f"user_revivals_race_revive_once on {describe(shared_app, replies, len(rows))}")
    assert len(rows) == 1
    assert rows[0]["scim_deleted"] is False
    assert len(store.coworkers_of(rows[0]["id"])) == 1
    assert consistency_problems(store) == []


def test_revival_races_new_post(shared_app: LiveApp, capsys: pytest.CaptureFixture[str]) -> None:
    """Revivals by externalId under a new userName race plain creates of that userName."""
    client = shared_app.client()
    external_id = unique_name("ext")
    deleted_id = require_created(client.create_user(unique_name("old.name"), externalId=external_id))
    assert client.delete(f"/Users/{deleted_id}").status == 204
    new_name = unique_name("new.name")
    variants = mixed_case_variants(new_name, CONCURRENT_REQUESTS)
    half = CONCURRENT_REQUESTS // 2
    revivals = [lambda name=name: client.create_user(name, externalId=external_id) for name in variants[:half]]
    creates = [lambda name=name: client.create_user(name) for name in variants[half:]]

    replies = run_concurrently(revivals + creates)

    assert_one_created(replies)
    store = shared_app.export()
    rows = store.users_named(new_name)
    report(capsys, f"revival_races_new_post on {describe(shared_app, replies, len(rows))}")
    assert len(rows) == 1
    assert len(store.coworkers_of(rows[0]["id"])) == 1
    deleted = store.user_by_scim_id(deleted_id)
    assert deleted is not None
    # The deleted user was either revived under the new name, or left deleted.
    assert deleted["scim_deleted"] is (deleted["id"] != rows[0]["id"])
    assert consistency_problems(store) == []


def test_group_revivals_race_revive_once(shared_app: LiveApp, capsys: pytest.CaptureFixture[str]) -> None:
    client = shared_app.client()
    name = unique_name("Revive Group")
    group_id = require_created(client.create_group(name))
    assert client.delete(f"/Groups/{group_id}").status == 204
    names = mixed_case_variants(name, CONCURRENT_REQUESTS)

    replies = run_concurrently([lambda name=name: client.create_group(name) for name in names])

    created = assert_one_created(replies)
    assert created.body["id"] == group_id
    store = shared_app.export()
    rows = store.groups_named(name)
    report(capsys, f"group_revivals_race_revive_once on {describe(shared_app, replies, len(rows))}")
    assert len(rows) == 1
    assert rows[0]["scim_deleted"] is False


def test_member_patches_keep_every_member(shared_app: LiveApp, capsys: pytest.CaptureFixture[str]) -> None:
    client = shared_app.client()
    prefix = unique_name("member")
    user_ids = [require_created(client.create_user(f"{prefix}.{number}")) for number in range(2 * CONCURRENT_REQUESTS)]
    group_id = require_created(client.create_group(unique_name("Member Group")))
    pairs = [user_ids[index : index + 2] for index in range(0, len(user_ids), 2)]

    def add_pair(pair: list[str]) -> Reply:
        members = [{"value": user_id} for user_id in pair]
        return client.patch(f"/Groups/{group_id}", [{"op": "Add", "path": "members", "value": members}])

    replies = run_concurrently([lambda pair=pair: add_pair(pair) for pair in pairs])

    assert status_counts(replies) == {204: CONCURRENT_REQUESTS}
    store = shared_app.export()
    group = store.group_by_scim_id(group_id)
    assert group is not None
    expected = set()
    for user_id in user_ids:
        user = store.user_by_scim_id(user_id)
        assert user is not None
        expected.add(user["id"])
    report(capsys, f"member_patches on {describe(shared_app, replies, len(store.member_ids(group['id'])))}"
                   f" of {len(expected)} members")
    assert store.member_ids(group["id"]) == expected


# Attributes that the concurrent user PATCHes set, one per request in turn, with the path each
# PATCH names and how to read the attribute back from a User resource.
PATCHED_SLOTS = (
    "title",
    "name.givenName",
    "name.familyName",
    'phoneNumbers[type eq "work"].value',
    'phoneNumbers[type eq "mobile"].value',
    'phoneNumbers[type eq "home"].value',
)
_PHONE_PATH = re.compile(r'phoneNumbers\[type eq "(\w+)"\]\.value')


def read_slot(resource: dict[str, Any], slot: str) -> Any:
    phone = _PHONE_PATH.fullmatch(slot)
    if phone is not None:
        found = [entry.get("value") for entry in resource.get("phoneNumbers", []) if entry.get("type") == phone[1]]
        return found[0] if found else None
    if slot.startswith("name."):
        return resource.get("name", {}).get(slot.removeprefix("name."))
    return resource.get(slot)


def version_number(reply: Reply) -> int:
    match = re.fullmatch(r'W/"(\d+)"', reply.body["meta"]["version"])
    assert match is not None, reply.body["meta"]
    return int(match[1])


def test_user_patches_lose_no_update(shared_app: LiveApp, capsys: pytest.CaptureFixture[str]) -> None:
    """Check that no PATCH overwrites another's change.

    Every PATCH sets displayName and one more attribute. Replaying them in the order of the
    versions they returned must give exactly the state that each response showed.
    """
    client = shared_app.client()
    user_id = require_created(client.create_user(unique_name("patched.user"), displayName="Start"))
    patches = []
    for number in range(CONCURRENT_REQUESTS):
        slot = PATCHED_SLOTS[number % len(PATCHED_SLOTS)]
        patches.append({"displayName": f"Name {number}", slot: f"value {number}"})

    def send(changes: dict[str, str]) -> Reply:
        operations = [{"op": "Replace", "path": path, "value": value} for path, value in changes.items()]
        return client.patch(f"/Users/{user_id}", operations)

    replies = run_concurrently([lambda changes=changes: send(changes) for changes in patches])

    assert status_counts(replies) == {200: CONCURRENT_REQUESTS}
    ordered = sorted(zip(replies, patches, strict=True), key=lambda pair: version_number(pair[0]))
    versions = [version_number(reply) for reply, _ in ordered]
    report(capsys, f"user_patches on {describe(shared_app, replies, 1)} user, {len(set(versions))} distinct versions")
    assert len(set(versions)) == CONCURRENT_REQUESTS, f"versions repeat: {versions}"
    model: dict[str, Any] = {"displayName": "Start", **{slot: None for slot in PATCHED_SLOTS}}
    for reply, changes in ordered:
        model.update(changes)
        shown = {slot: read_slot(reply.body, slot) for slot in model}
        shown["displayName"] = reply.body.get("displayName")
        assert shown == model, f"response of version {version_number(reply)} lost an update"
    final = client.request("GET", f"/Users/{user_id}")
    assert final.status == 200
    assert {slot: read_slot(final.body, slot) for slot in PATCHED_SLOTS} == {slot: model[slot] for slot in PATCHED_SLOTS}
    assert final.body["displayName"] == model["displayName"]
