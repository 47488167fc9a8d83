"""What a user sees when the embedded model cannot run (no model needed)."""

from __future__ import annotations

import sys

import pytest

from bdev.errors import BdevError
from bdev.llm.base import Message
from bdev.llm.local.model import LocalModel


def test_missing_llama_cpp_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # makes `import llama_cpp` fail
    model = LocalModel()  # constructing is free: nothing loads before the first turn

    with pytest.raises(BdevError, match=r'pip install -e "\.\[local\]"'):
        model.complete([Message("user", "hi")], [])


def test_unknown_model_id_is_refused_at_construction() -> None:
    with pytest.raises(BdevError, match="unknown model 'qwen-9000'"):
        LocalModel("qwen-9000")
