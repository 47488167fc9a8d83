"""The on-disk store of prompt-prefix states: naming and its size bound (no model needed)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bdev.llm.local.prefix import PrefixStore, prefix_key


def _state(store: PrefixStore, key: str, size: int, age_s: int) -> Path:
    path = store.path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\0" * size)
    when = 1_700_000_000 - age_s
    os.utime(path, (when, when))
    return path


def test_eviction_removes_least_recently_used_until_under_the_bound(tmp_path: Path) -> None:
    store = PrefixStore(tmp_path, max_bytes=250)
    oldest = _state(store, "a", 100, age_s=30)
    middle = _state(store, "b", 100, age_s=20)
    newest = _state(store, "c", 100, age_s=10)
    unrelated = tmp_path / "notes.txt"
    unrelated.write_text("not a state file")

    store.evict()

    assert not oldest.exists()
    assert middle.exists() and newest.exists() and unrelated.exists()


def test_eviction_never_removes_the_file_just_written(tmp_path: Path) -> None:
    store = PrefixStore(tmp_path, max_bytes=150)
    big_new = _state(store, "new", 200, age_s=40)  # oldest mtime, but just saved
    other = _state(store, "old", 100, age_s=10)

    store.evict(keep=big_new)

    assert big_new.exists()
    assert not other.exists()


def test_key_depends_on_model_and_exact_prefix_text() -> None:
    pytest.importorskip("llama_cpp")
    key = prefix_key("sha-a", "<|im_start|>system\nhi<|im_end|>\n")
    assert key == prefix_key("sha-a", "<|im_start|>system\nhi<|im_end|>\n")
    assert key != prefix_key("sha-b", "<|im_start|>system\nhi<|im_end|>\n")
    assert key != prefix_key("sha-a", "<|im_start|>system\nhi <|im_end|>\n")
