"""Configuration layers and their sources."""

from __future__ import annotations

from pathlib import Path

import pytest

from bdev.config import GatesConfig, load_config
from bdev.errors import BdevError


def test_layers_and_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    user = tmp_path / "user.toml"
    user.write_text(
        'model = "openai:qwen"\n[models]\nsonnet = "anthropic:claude-x"\n[limits]\nmax_steps = 10\n'
    )
    ws = tmp_path / "ws"
    (ws / ".bdev").mkdir(parents=True)
    (ws / ".bdev" / "config.toml").write_text(
        '[limits]\nmax_steps = 20\n[prices."openai:qwen"]\ninput = 1\noutput = 2\n'
    )
    monkeypatch.delenv("BDEV_MODEL", raising=False)
    cfg = load_config(ws, {"permissions.mode": "plan"}, user_path=user)
    assert cfg.model == "openai:qwen" and cfg.sources["model"] == str(user)
    assert cfg.limits.max_steps == 20 and cfg.sources["limits.max_steps"].endswith("config.toml")
    assert cfg.alias("sonnet") == "anthropic:claude-x"
    assert cfg.permissions.mode == "plan" and cfg.sources["permissions.mode"] == "flag"
    assert cfg.prices["openai:qwen"].model_dump() == {"input": 1.0, "output": 2.0}
    assert cfg.sources["bash.timeout"] == "default"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("model = 3\n", "model must be str"),
        ("[limits]\nmax_steps = 'x'\n", "limits.max_steps must be int"),
        ("colour = 'blue'\n", "unknown setting 'colour'"),
        ("model = \n", "invalid TOML"),
        ("[permissions]\nmode = 'yolo'\n", "yolo"),
        ("[prices.m]\ninput = 'cheap'\n", "prices.'m'"),
    ],
)
def test_bad_files_name_the_file_and_key(tmp_path: Path, text: str, needle: str) -> None:
    user = tmp_path / "user.toml"
    user.write_text(text)
    with pytest.raises(BdevError) as e:
        load_config(tmp_path, user_path=user)
    assert str(user) in str(e.value) and needle in str(e.value)


def test_environment_beats_files_and_flags_beat_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BDEV_MODEL", "anthropic:from-env")
    cfg = load_config(tmp_path, user_path=tmp_path / "none.toml")
    assert cfg.model == "anthropic:from-env"
    cfg = load_config(tmp_path, {"model": "openai:flag"}, user_path=tmp_path / "none.toml")
    assert cfg.model == "openai:flag"


def test_one_gate_configuration_for_run_new_and_audit(tmp_path: Path) -> None:
    from bdev.backend.audit.options import AuditOptions
    from bdev.backend.audit.results import ChecklistItem, StepResult
    from bdev.backend.audit.scorecard import build_scorecard
    from bdev.workflow.backend import WorkflowOptions

    (tmp_path / ".bdev").mkdir()
    (tmp_path / ".bdev" / "config.toml").write_text(
        "[gates]\ncoverage_min = 90\n[audit]\nconcurrency = 3\n"
    )
    cfg = load_config(tmp_path, user_path=tmp_path / "none.toml")
    audit = AuditOptions.from_config(cfg)
    assert audit.targets.coverage_min == 90 and audit.concurrency == 3
    assert WorkflowOptions.from_config(cfg).gates.coverage_min == 90

    # 85% of lines: enough for the default 80, not for the configured 90.
    tests = StepResult(
        name="tests",
        status="ok",
        summary="3 passed",
        data={"passed": 3, "failed": 0, "errors": 0, "coverage_percent": 85.0},
    )

    def coverage_item(targets: GatesConfig | None) -> ChecklistItem:
        items = build_scorecard([tests], None, tmp_path, targets).checklist
        return next(i for i in items if i.name.startswith("line coverage"))

    default = coverage_item(None)
    assert default.name == "line coverage >= 80%" and default.status == "pass"
    configured = coverage_item(audit.targets)
    assert configured.name == "line coverage >= 90%" and configured.status == "fail"


def test_flags_add_permission_rules_on_top_of_the_files(tmp_path: Path) -> None:
    from bdev.config import with_more

    user = tmp_path / "user.toml"  # a project's own allow rules need trust (test_project_trust)
    user.write_text('[permissions]\nallow = ["Bash(ls:*)"]\n')
    cfg = load_config(tmp_path, user_path=user)
    more = with_more(cfg, "permissions.allow", ["Bash(pytest:*)"], "flag")
    assert more.permissions.allow == ["Bash(ls:*)", "Bash(pytest:*)"]
    assert more.sources["permissions.allow"] == "flag"
    assert cfg.permissions.allow == ["Bash(ls:*)"]  # the original is unchanged
