"""The embedded model's tokenizer and chat template, without its weights.

`llama_cpp.Llama(..., vocab_only=True)` reads only the vocabulary and metadata (well
under a second), so prompt sizes can be measured exactly where the model is installed
(`bdev agents show --profile`, benchmarks/prompt_budget.py) without loading 1 GB.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bdev.llm import catalog
from bdev.llm.base import Message, ToolSpec
from bdev.llm.local.template import ChatTemplate


class LocalTokenizer:
    """Counts tokens of what the embedded model would read."""

    def __init__(self, llm: Any, model_id: str) -> None:
        self._llm = llm
        self.model_id = model_id
        self.template = ChatTemplate(llm.metadata["tokenizer.chat_template"])

    def count(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode(), add_bos=False, special=True))

    def render_prefix(self, system: str, specs: list[ToolSpec]) -> str:
        """The system turn with the tool schemas, exactly as the chat template renders it."""
        return self.template.render([Message("system", system)], specs, add_generation_prompt=False)

    def prefix_tokens(self, system: str, specs: list[ToolSpec]) -> int:
        return self.count(self.render_prefix(system, specs))


def load_tokenizer(model_id: str | None = None, path: Path | None = None) -> LocalTokenizer | None:
    """The tokenizer of an installed embedded model; None when llama-cpp-python or the
    model file is missing (callers then fall back to `bdev.llm.estimate`)."""
    entry = catalog.get(model_id)
    path = path or catalog.model_path(entry.id)
    if not path.is_file():
        return None
    try:
        import llama_cpp
    except ImportError:
        return None
    try:
        llm = llama_cpp.Llama(model_path=str(path), vocab_only=True, verbose=False)
    except (ValueError, RuntimeError):
        return None
    if not llm.metadata.get("tokenizer.chat_template"):
        return None
    return LocalTokenizer(llm, entry.id)
