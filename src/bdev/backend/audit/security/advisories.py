"""An offline advisory database: OSV records for PyPI, matched against pinned versions.

pip-audit asks a web service (PyPI's JSON API or api.osv.dev) about every package, so
without the internet it checks nothing, and says "No known vulnerabilities found" while
doing so. The audit therefore reads a snapshot of OSV records (https://ossf.github.io/
osv-schema/), from, in this order:

1. `[audit] advisories = "PATH"`: a directory of OSV JSON files, or a zip of them (OSV
   publishes all PyPI advisories as one `all.zip`);
2. bdev's cache, `$XDG_CACHE_HOME/bdev/advisories/`, which `bdev advisories update`
   fills (from OSV's download, or `--from PATH`).

The snapshot's date is shown in every report: the date it was downloaded, or, for a
snapshot of unknown age, the newest `modified` date among its records.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from bdev.errors import BdevError

OSV_PYPI_ZIP = "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip"
UPDATE_HINT = "run `bdev advisories update`, or set [audit] advisories to an OSV directory"
_META = "meta.json"
_RECORDS = "pypi-osv.json"


@dataclass
class AdvisoryDB:
    location: str
    date: str  # YYYY-MM-DD
    date_basis: str  # "downloaded" | "newest record" | "imported"
    source: str
    by_package: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def records(self) -> int:
        return len({r.get("id") for rs in self.by_package.values() for r in rs})

    def describe(self) -> dict[str, Any]:
        return {
            "location": self.location,
            "date": self.date,
            "date_basis": self.date_basis,
            "source": self.source,
            "records": self.records,
        }

    def advisories(self, name: str, version: str) -> list[dict[str, Any]]:
        """The records that affect `name` at `version`."""
        try:
            v = Version(version)
        except InvalidVersion:
            return []
        name = canonicalize_name(name)
        return [r for r in self.by_package.get(name, []) if _affects(r, name, v)]


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "bdev" / "advisories"


def locate(configured: str | None) -> AdvisoryDB | None:
    """The configured snapshot, else the cached one, else None. A configured path that
    cannot be read is the user's to fix: BdevError naming it."""
    if configured:
        path = Path(configured).expanduser()
        if not path.exists():
            raise BdevError(f"[audit] advisories = {configured!r}: no such file or directory")
        return read_osv(path)
    cached = cache_dir()
    if (cached / _META).is_file() and (cached / _RECORDS).is_file():
        return _read_cache(cached)
    return None


def read_osv(path: Path) -> AdvisoryDB:
    """OSV records from a directory (searched recursively) or a zip file."""
    by_package: dict[str, list[dict[str, Any]]] = {}
    newest = ""
    for name, text in _json_files(path):
        try:
            record = json.loads(text)
        except json.JSONDecodeError as e:
            raise BdevError(f"{path}: {name} is not JSON ({e})") from e
        if not isinstance(record, dict) or record.get("withdrawn"):
            continue
        newest = max(newest, str(record.get("modified", ""))[:10])
        for pkg in _pypi_packages(record):
            by_package.setdefault(pkg, []).append(record)
    if not by_package:
        raise BdevError(f"{path}: holds no OSV advisory for a PyPI package")
    return AdvisoryDB(str(path), newest or "unknown", "newest record", str(path), by_package)


def update_cache(source: Path | None = None, timeout_s: float = 120.0) -> AdvisoryDB:
    """Fill bdev's cache from `source` (OSV directory or zip) or OSV's PyPI download."""
    if source is None:
        with tempfile.TemporaryDirectory(prefix="bdev-osv-") as tmp:
            archive = Path(tmp) / "all.zip"
            archive.write_bytes(_download(OSV_PYPI_ZIP, timeout_s))
            db = read_osv(archive)
        db.source = OSV_PYPI_ZIP
        db.date, db.date_basis = datetime.now(UTC).date().isoformat(), "downloaded"
    else:
        if not source.exists():
            raise BdevError(f"--from {source}: no such file or directory")
        db = read_osv(source)
        db.date_basis = "newest record"
    target = cache_dir()
    staging = target.with_name(target.name + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    (staging / _RECORDS).write_text(json.dumps(db.by_package))
    meta = {k: v for k, v in db.describe().items() if k != "location"}
    (staging / _META).write_text(json.dumps(meta, indent=2))
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)  # readers never see half a cache
    db.location = str(target)
    return db


def _download(url: str, timeout_s: float) -> bytes:
    import httpx

    try:
        response = httpx.get(url, timeout=timeout_s, follow_redirects=True)
        response.raise_for_status()
    except httpx.HTTPError as e:
        raise BdevError(
            f"cannot download the advisory database from {url} ({type(e).__name__}: {e}); "
            "download it where there is internet access and run "
            "`bdev advisories update --from all.zip`"
        ) from e
    return response.content


def _read_cache(folder: Path) -> AdvisoryDB:
    try:
        meta = json.loads((folder / _META).read_text())
        by_package = json.loads((folder / _RECORDS).read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise BdevError(f"{folder}: the advisory cache is damaged ({e}); {UPDATE_HINT}") from e
    return AdvisoryDB(
        str(folder), meta.get("date", "unknown"), meta.get("date_basis", ""),
        meta.get("source", ""), by_package,
    )  # fmt: skip


def _json_files(path: Path) -> Iterator[tuple[str, str]]:
    if path.is_file() and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            for member in sorted(archive.namelist()):
                if member.endswith(".json"):
                    yield member, archive.read(member).decode(errors="replace")
        return
    if path.is_file():
        yield path.name, path.read_text(errors="replace")
        return
    for file in sorted(path.rglob("*.json")):
        if file.name != _META:
            yield file.relative_to(path).as_posix(), file.read_text(errors="replace")


def _pypi_packages(record: dict[str, Any]) -> set[str]:
    return {
        canonicalize_name(str(a["package"]["name"]))
        for a in record.get("affected") or []
        if (a.get("package") or {}).get("ecosystem") == "PyPI" and a["package"].get("name")
    }


# --- OSV version matching (https://ossf.github.io/osv-schema/#affectedranges-field) -------------


def _affects(record: dict[str, Any], name: str, version: Version) -> bool:
    for affected in record.get("affected") or []:
        package = affected.get("package") or {}
        if package.get("ecosystem") != "PyPI" or canonicalize_name(package.get("name", "")) != name:
            continue
        if any(_same(version, listed) for listed in affected.get("versions") or []):
            return True
        if any(
            _in_range(version, r.get("events") or [])
            for r in affected.get("ranges") or []
            if r.get("type") == "ECOSYSTEM"
        ):
            return True
    return False


def _same(version: Version, text: str) -> bool:
    try:
        return Version(text) == version
    except InvalidVersion:
        return False


def _in_range(version: Version, events: list[dict[str, str]]) -> bool:
    """Walk the events in version order: introduced opens, fixed closes (at it),
    last_affected closes after it."""
    parsed: list[tuple[Version, str]] = []
    for event in events:
        for kind in ("introduced", "fixed", "last_affected"):
            if kind in event:
                try:
                    at = Version("0") if event[kind] == "0" else Version(event[kind])
                except InvalidVersion:
                    continue
                parsed.append((at, kind))
    affected = False
    for at, kind in sorted(parsed, key=lambda e: (e[0], e[1] != "introduced")):
        if kind == "introduced" and version >= at:
            affected = True
        elif (kind == "fixed" and version >= at) or (kind == "last_affected" and version > at):
            affected = False
    return affected


def fixed_versions(record: dict[str, Any], name: str) -> list[str]:
    return sorted(
        {
            str(event["fixed"])
            for a in record.get("affected") or []
            if canonicalize_name((a.get("package") or {}).get("name", "")) == name
            for r in a.get("ranges") or []
            for event in r.get("events") or []
            if "fixed" in event
        }
    )
