from __future__ import annotations

import json

import pytest

from bdev.errors import BdevError
from bdev.llm.base import ToolSpec
from bdev.tools.base import TOOL_NAMES
from bdev.tools.registry import build_tools, coerce_arguments, tool_specs, validate_arguments

ALL = build_tools(None)


def test_build_all_and_subset() -> None:
    assert list(ALL) == list(TOOL_NAMES)
    for name, tool in ALL.items():
        assert tool.name == name
        assert isinstance(tool.read_only, bool) and callable(tool.run)
    subset = build_tools(["Grep", "Read", "Read"])
    assert list(subset) == ["Read", "Grep"]


def test_unknown_tool_is_a_bdev_error_with_a_suggestion() -> None:
    with pytest.raises(BdevError, match="unknown tool 'Reed'; did you mean 'Read'"):
        build_tools(["Read", "Reed"])


def test_specs_are_compact_and_valid_json_schema() -> None:
    specs = tool_specs(ALL)
    assert all(isinstance(s, ToolSpec) for s in specs)
    assert [s.name for s in specs] == list(TOOL_NAMES)
    for spec in specs:
        assert spec.parameters["type"] == "object"
        assert len(spec.description) <= 160, spec.name
    # Everything a small model reads on each turn, for all 13 tools.
    assert len(json.dumps([s.parameters for s in specs])) < 4000


def test_valid_arguments_have_no_problems() -> None:
    assert validate_arguments(ALL["Read"], {"file_path": "a.py", "offset": 3}) == []


def test_problems_name_the_argument() -> None:
    problems = validate_arguments(ALL["Grep"], {"output_mode": "lines", "-A": "two"})
    assert problems == [
        "missing required argument 'pattern'",
        "argument '-A': expected integer, got str 'two'",
        "argument 'output_mode': 'lines' is not one of content, files_with_matches, count",
    ]
    problems = validate_arguments(ALL["MultiEdit"], {"file_path": "a", "edits": [{}]})
    assert "missing required argument 'edits[0].old_string'" in problems


def test_small_model_quirks_are_repaired_in_place() -> None:
    args = {"file_path": "a.py", "offset": "10", "limit": None}
    assert validate_arguments(ALL["Read"], args) == []
    assert args == {"file_path": "a.py", "offset": 10}

    edits = json.dumps([{"old_string": "a", "new_string": "b", "replace_all": "true"}])
    args = {"file_path": "a.py", "edits": edits}
    assert validate_arguments(ALL["MultiEdit"], args) == []
    assert args["edits"] == [{"old_string": "a", "new_string": "b", "replace_all": True}]

    assert coerce_arguments(ALL["Grep"], {"pattern": "x", "-C": 2.0}) == {"pattern": "x", "-C": 2}


def test_ambiguous_values_are_not_guessed() -> None:
    args = {"file_path": "a.py", "offset": "ten"}
    assert validate_arguments(ALL["Read"], args) == [
        "argument 'offset': expected integer, got str 'ten'"
    ]
    # A required argument sent as null stays an error rather than silently vanishing.
    assert validate_arguments(ALL["Read"], {"file_path": None}) == [
        "argument 'file_path': expected string, got NoneType None"
    ]


def test_non_object_arguments() -> None:
    assert validate_arguments(ALL["Read"], ["a.py"]) == [  # type: ignore[arg-type]
        "Read arguments must be a JSON object, got list"
    ]
