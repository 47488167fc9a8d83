"""The workspace snapshot that tells whether an agent changed anything."""

from __future__ import annotations

from pathlib import Path

from bdev.backend.audit.report import AuditReport
from bdev.workflow.changes import diff, snapshot
from bdev.workflow.gates import GateConfig, evaluate


def test_snapshot_diff_sees_added_changed_deleted_and_ignores_records(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("a")
    (tmp_path / "b.py").write_text("b")
    (tmp_path / "c.py").write_text("c")
    before = snapshot(tmp_path)
    (tmp_path / "a.py").write_text("A")
    (tmp_path / "c.py").unlink()
    (tmp_path / "d.py").write_text("d")
    for ignored in (".bdev/sessions/x.jsonl", "__pycache__/a.pyc", ".coverage"):
        (tmp_path / ignored).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / ignored).write_text("noise")
    changes = diff(before, snapshot(tmp_path))
    assert (changes.added, changes.modified, changes.deleted) == (["d.py"], ["a.py"], ["c.py"])
    assert "added d.py" in changes.summary()


def test_untouched_workspace_fails_the_changes_gate(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("a")
    changes = diff(snapshot(tmp_path), snapshot(tmp_path))
    report = AuditReport(root=str(tmp_path), started_at="2026-11-22T00:00:00+00:00")
    gate = next(g for g in evaluate(report, GateConfig(), changes) if g.name == "changes")
    assert not gate.passed and "no file was added" in gate.evidence
    assert all(
        g.name != "changes" for g in evaluate(report, GateConfig(require_changes=False), changes)
    )
