"""Prompt-prefix KV states on disk, so a new process skips re-reading a known system prompt.

On a CPU, evaluating a 1.5k-token system prompt with tool schemas takes tens of seconds;
loading its KV cells back takes well under one. llama.cpp's per-sequence state file
(`llama_state_seq_save_file`) holds only the cells the sequence uses plus its tokens,
about 28 KB per token for the 1.5B model, where `Llama.save_state()` copies the whole
context (hundreds of MB) and the logits.

Files are named by a key that covers everything the cells depend on (model file hash,
llama-cpp-python version, the exact prefix text); the store keeps its total size under a
bound by removing the least recently used files.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

_SUFFIX = ".kvstate"


def prefix_key(model_sha256: str, prefix_text: str) -> str:
    import llama_cpp

    h = hashlib.sha256()
    for part in (model_sha256, llama_cpp.__version__, prefix_text):
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()[:32]


class PrefixStore:
    """A folder of sequence-state files with a bounded total size (oldest used go first)."""

    def __init__(self, directory: Path, max_bytes: int = 1 << 30) -> None:
        self.directory = directory
        self.max_bytes = max_bytes

    def path(self, key: str) -> Path:
        return self.directory / f"{key}{_SUFFIX}"

    def save(self, llm: Any, key: str) -> Path | None:
        """Write the KV cells of sequence 0 of `llm` and its evaluated tokens. None on failure."""
        import llama_cpp

        self.directory.mkdir(parents=True, exist_ok=True)
        n = llm.n_tokens
        tokens = (llama_cpp.llama_token * n)(*llm.input_ids[:n].tolist())
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=f".{key}.", suffix=".tmp")
        os.close(fd)
        try:
            written = llama_cpp.llama_state_seq_save_file(llm.ctx, tmp.encode(), 0, tokens, n)
            if not written:
                Path(tmp).unlink(missing_ok=True)
                return None
            os.replace(tmp, self.path(key))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self.evict(keep=self.path(key))
        return self.path(key)

    def load(self, llm: Any, key: str) -> int:
        """Restore a saved prefix into `llm`; the number of tokens restored (0 if none)."""
        import llama_cpp

        path = self.path(key)
        if not path.is_file():
            return 0
        capacity = llm.n_ctx()
        tokens = (llama_cpp.llama_token * capacity)()
        count = ctypes.c_size_t(0)
        llm.reset()
        # Empty the KV cache first: the file only fills the cells it holds.
        llama_cpp.llama_memory_seq_rm(llama_cpp.llama_get_memory(llm.ctx), -1, -1, -1)
        read = llama_cpp.llama_state_seq_load_file(
            llm.ctx, str(path).encode(), 0, tokens, capacity, ctypes.byref(count)
        )
        if not read or count.value == 0:
            # Unreadable (truncated, another build, longer than this n_ctx): the caller
            # evaluates the prefix instead and saves a fresh state over this one.
            llm.reset()
            return 0
        n = count.value
        # Tell llama-cpp-python which tokens the KV cells now hold, so its own
        # longest-common-prefix reuse in `generate` continues from them.
        llm.input_ids[:n] = tokens[:n]
        llm.n_tokens = n
        os.utime(path)  # mark as recently used for eviction
        return n

    def evict(self, keep: Path | None = None) -> None:
        files = []
        for p in self.directory.glob(f"*{_SUFFIX}"):
            try:
                st = p.stat()
            except OSError:
                continue
            files.append((st.st_mtime, st.st_size, p))
        total = sum(size for _, size, _ in files)
        for _, size, p in sorted(files):
            if total <= self.max_bytes:
                break
            if p == keep:
                continue
            p.unlink(missing_ok=True)
            total -= size
