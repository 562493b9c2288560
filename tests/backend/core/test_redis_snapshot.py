"""The embedded default's in-process Redis outlives a restart through its snapshot file."""

import os
import stat
import time

import fakeredis

from backend.core.redis import _fake_server, load_snapshot, save_snapshot


def test_snapshot_brings_back_string_keys_with_what_is_left_of_their_lifetimes(tmp_path):
    client = fakeredis.FakeRedis(server=_fake_server())
    client.flushall()
    client.set("session:admin:abc", b'{"admin_id": 1}', ex=3600)
    client.set("forever", b"\x00\xffbinary")
    client.set("short", b"gone soon", px=200)
    client.rpush("a-list", b"not a string: left out")
    path = tmp_path / "redis-snapshot.json"

    assert save_snapshot(path) == 3
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600  # sessions are the owner's alone
    client.flushall()  # the process ends
    time.sleep(0.3)

    assert load_snapshot(path) == 2
    assert client.get("session:admin:abc") == b'{"admin_id": 1}'
    assert 3590 < client.ttl("session:admin:abc") <= 3600
    assert client.get("forever") == b"\x00\xffbinary" and client.ttl("forever") == -1
    assert client.get("short") is None and client.get("a-list") is None
    client.flushall()


def test_a_missing_or_damaged_snapshot_loads_nothing(tmp_path):
    assert load_snapshot(tmp_path / "none.json") == 0
    (tmp_path / "bad.json").write_text("{not json")
    assert load_snapshot(tmp_path / "bad.json") == 0
