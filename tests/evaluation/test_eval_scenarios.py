from pathlib import Path

import pytest
from eval_support import SUITE

from bdev.errors import BdevError
from bdev.evaluation import load_scenario, load_suite
from bdev.specfirst import load_spec

SUITE_WEAKNESSES = {"CWE-89", "CWE-78", "CWE-94", "CWE-22", "CWE-862", "CWE-916", "CWE-400"}


def test_the_suite_has_twelve_valid_scenarios():
    scenarios = load_suite(SUITE)
    assert len(scenarios) >= 12
    for s in scenarios:
        load_spec(s.spec_path)  # a real OpenAPI validator; BdevError names the JSON path
        doc = load_spec(s.spec_path)
        operations = sum(
            1 for item in doc["paths"].values() for method in item if method in ("get", "post",
            "put", "patch", "delete")
        )  # fmt: skip
        assert 1 <= operations <= 4, s.slug
        assert s.paragraph and s.weaknesses
        assert "def test_" in s.functional_tests.read_text()
        assert "def test_" in s.exploit_tests.read_text()


def test_the_suite_covers_the_issue_weaknesses():
    covered = {w for s in load_suite(SUITE) for w in s.weaknesses}
    assert covered >= SUITE_WEAKNESSES


def test_env_fills_in_the_workdir(tmp_path):
    scenario = load_scenario(SUITE / "05-file-store")
    assert scenario.service_env(tmp_path) == {"FILES_DIR": f"{tmp_path}/files"}
    assert scenario.dirs == ("FILES_DIR",)


def test_pattern_narrows_the_suite():
    assert [s.slug for s in load_suite(SUITE, "0[12]-*")] == ["01-notes-search", "02-host-lookup"]
    assert [s.slug for s in load_suite(SUITE / "03-calculator")] == ["03-calculator"]


def write_scenario(folder: Path, manifest: str) -> Path:
    folder.mkdir()
    for name in ("openapi.yaml", "describe.md", "test_functional.py", "test_exploits.py"):
        (folder / name).write_text("x")
    (folder / "scenario.toml").write_text(manifest)
    return folder


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        ('title = "t"\nweaknesses = ["SQLi"]', "field weaknesses"),
        ('title = "t"\nweaknesses = []', "field weaknesses"),
        ('weaknesses = ["CWE-89"]', "field title"),
        ('title = "t"\nweaknesses = ["CWE-89"]\ncolour = 1', "field colour"),
        ('title = "t"\nweaknesses = ["CWE-89"]\ndirs = ["DATA"]', "'DATA'"),
        ('title = "t"\nweaknesses = ["CWE-89"]\n[env]\nlower = "x"', "field env"),
        ("title = ", "invalid TOML"),
    ],
)
def test_bad_manifests_name_file_and_field(tmp_path, manifest, message):
    folder = write_scenario(tmp_path / "01-bad", manifest)
    with pytest.raises(BdevError) as e:
        load_scenario(folder)
    assert str(folder / "scenario.toml") in str(e.value)
    assert message in str(e.value)


def test_missing_files_are_named(tmp_path):
    folder = write_scenario(tmp_path / "01-x", 'title = "t"\nweaknesses = ["CWE-89"]')
    (folder / "test_exploits.py").unlink()
    with pytest.raises(BdevError, match=r"missing test_exploits\.py"):
        load_scenario(folder)


def test_no_scenarios_is_an_error(tmp_path):
    with pytest.raises(BdevError, match="no scenario folders"):
        load_suite(tmp_path)
    with pytest.raises(BdevError, match="does not exist"):
        load_suite(tmp_path / "nowhere")
