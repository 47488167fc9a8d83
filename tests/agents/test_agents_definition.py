from __future__ import annotations

from pathlib import Path

import pytest

from bdev.agents.definition import (
    AgentDefinition,
    load_definition,
    parse_definition,
    validate_file,
)
from bdev.agents.problems import DefinitionError
from bdev.tools.base import TOOL_NAMES

EXPECTED_SEEDS = {
    # file prefix: (name, tools, model, color, number of examples)
    "000": ("Backend-Developer", 11, None, "blue", 3),
    "001": ("Backend-Developer", 11, None, "blue", 2),
    "002": ("backend-developer", 6, None, None, 0),
    "003": ("backend-developer", None, "sonnet", "yellow", 5),
    "004": ("backend-developer", 6, None, None, 0),
}


def test_all_seed_files_load_unchanged(seeds: list[Path]) -> None:
    assert [p.name[:3] for p in seeds] == sorted(EXPECTED_SEEDS)
    for path in seeds:
        d = load_definition(path)
        name, tools, model, color, examples = EXPECTED_SEEDS[path.name[:3]]
        assert (d.name, d.model, d.color, len(d.examples)) == (name, model, color, examples)
        assert (None if d.tools is None else len(d.tools)) == tools
        assert d.source == "path" and d.path == path
        assert d.extra == {}
        assert "\\n" not in d.description
        assert all(p.severity == "warning" for p in validate_file(path)), path


def test_seed_without_tools_allows_every_tool(seeds: list[Path]) -> None:
    d = load_definition(next(p for p in seeds if p.name.startswith("003")))
    assert d.tools is None
    assert d.allowed_tools == list(TOOL_NAMES)


def test_mojibake_seed_body_round_trips_and_is_flagged(seeds: list[Path]) -> None:
    path = next(p for p in seeds if p.name.startswith("000"))
    raw = path.read_text(encoding="utf-8")
    d = load_definition(path)
    assert d.body == raw.split("---\n", 2)[2]
    assert "âœ…" in d.body
    [warning] = d.warnings
    assert (warning.field, warning.severity) == ("body", "warning")
    assert raw.splitlines()[warning.line - 1].count("âœ…") == 1
    assert "✅" in warning.message


def test_seed_examples_are_parsed(seeds: list[Path]) -> None:
    d = load_definition(next(p for p in seeds if p.name.startswith("003")))
    first = d.examples[0]
    assert first.context == "User needs to implement a new API endpoint for user authentication."
    assert first.user == "I need to add a login endpoint that handles JWT authentication"
    assert first.assistant.startswith("I'll use the backend-developer agent")
    assert "<example>" not in d.summary and d.summary.endswith("invoke this agent:")


def test_example_with_commentary(definition) -> None:
    text = definition(
        description='Builds APIs. <example>Context: c1\\nuser: "make an API"\\nassistant: '
        '"ok"\\n<commentary>API work</commentary></example>'
    )
    d = _load_text(text)
    [ex] = d.examples
    assert (ex.context, ex.user, ex.assistant, ex.commentary) == (
        "c1",
        "make an API",
        "ok",
        "API work",
    )
    assert d.first_line == "Builds APIs."


def _load_text(text: str) -> AgentDefinition:
    d, problems = parse_definition(text)
    assert d is not None, problems
    return d


def test_bom_and_crlf_are_accepted(write, definition) -> None:
    path = write("a.md", "\ufeff" + definition(body="line one\nline two\n").replace("\n", "\r\n"))
    d = load_definition(path)
    assert (d.name, d.description, d.body) == ("x", "Does x.", "line one\nline two\n")


def test_tools_as_yaml_list_or_star_and_duplicates(write, definition) -> None:
    listed = write(
        "a.md", "---\nname: a\ndescription: d\ntools:\n  - Read\n  - Bash\n  - Read\n---\n"
    )
    assert load_definition(listed).tools == ["Read", "Bash"]
    star = write("b.md", definition(tools='"*"'))
    assert load_definition(star).tools is None


def test_yaml_list_still_read_when_another_field_is_not_yaml(write) -> None:
    path = write("a.md", "---\nname: a\ndescription: Use it: for x\ntools: [Read, Grep]\n---\n")
    d = load_definition(path)
    assert d.description == "Use it: for x"
    assert d.tools == ["Read", "Grep"]


def test_indented_lines_continue_a_literal_value(write) -> None:
    path = write("a.md", "---\nname: a\ndescription: first: part\n  second part\ncolor: red\n---\n")
    d = load_definition(path)
    assert d.description == "first: part\nsecond part"
    assert d.color == "red"


def test_unknown_fields_are_kept_and_warned(write, definition) -> None:
    path = write("a.md", definition(**{"argument-hint": "[file]", "version": "2"}))
    d = load_definition(path)
    assert d.extra == {"argument-hint": ["file"], "version": 2}  # YAML read them
    assert [(w.line, w.field, w.severity) for w in d.warnings] == [
        (4, "argument-hint", "warning"),
        (5, "version", "warning"),
    ]


def test_a_txt_path_loads(write, definition) -> None:
    d = load_definition(write("agent.txt", definition(name="texty")))
    assert d.name == "texty"


BROKEN = [
    ("no front matter", "# just markdown\n", 1, "front matter", "missing"),
    ("empty file", "", 1, "front matter", "missing"),
    ("unterminated", "---\nname: x\ndescription: y\n", 1, "front matter", "unterminated"),
    (
        "not key: value",
        "---\nname: x\ndescription: a: b\njust words\n---\n",
        4,
        "front matter",
        "not a `key: value` line: 'just words'",
    ),
    (
        "bad quoted YAML",
        '---\nname: x\ndescription: "unclosed: quote\n---\n',
        3,
        "description",
        "invalid YAML value",
    ),
    ("YAML list as front matter", "---\n- a\n- b\n---\n", 2, "front matter", "not a YAML list"),
    ("missing name", "---\ndescription: y\n---\n", 1, "name", "missing (required)"),
    ("empty description", "---\nname: x\ndescription:\n---\n", 3, "description", "empty"),
    (
        "unknown tool",
        "---\nname: x\ndescription: y\ntools: Read, Bsh\n---\n",
        4,
        "tools",
        'unknown tool "Bsh", did you mean "Bash"? (known: Read, Write',
    ),
    (
        "wrong type",
        "---\nname: x\ndescription: y\nmodel: 3.5\n---\n",
        4,
        "model",
        "must be text, not a number",
    ),
    (
        "tools mapping",
        "---\nname: x\ndescription: y\ntools: {a: 1}\n---\n",
        4,
        "tools",
        "must be a comma-separated list",
    ),
    (
        "model with spaces",
        "---\nname: x\ndescription: y\nmodel: claude sonnet\n---\n",
        4,
        "model",
        "use an alias (sonnet, opus, haiku, inherit) or one model id",
    ),
    ("bad name", "---\nname: two words\ndescription: y\n---\n", 2, "name", "use letters, digits"),
]


@pytest.mark.parametrize(
    ("text", "line", "field", "message"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN]
)
def test_broken_files_name_file_line_and_field(write, text, line, field, message) -> None:
    path = write("agents/x.md", text)
    with pytest.raises(DefinitionError) as raised:
        load_definition(path)
    problem = raised.value.problem
    assert (problem.line, problem.field) == (line, field)
    assert message in problem.message
    assert str(raised.value).startswith(f"{problem.file}:{line}: {field}: ")
    assert problem.file.endswith("agents/x.md")


def test_not_utf8(write) -> None:
    path = write("x.md", b"---\nname: x\ndescription: caf\xe9\n---\n")
    [problem] = validate_file(path)
    assert (problem.line, problem.field) == (3, "encoding")
    assert "0xe9" in problem.message


def test_missing_file() -> None:
    with pytest.raises(DefinitionError, match=r"nope\.md:1: file: cannot read"):
        load_definition(Path("nope.md"))


def test_validator_reports_every_problem(write) -> None:
    path = write(
        "x.md",
        "---\nname: two words\ntools: Bsh, Read, Wrte\nmodel: [a]\nfoo: bar\n---\n",
    )
    problems = validate_file(path)
    rendered = [f"{p.line}: {p.field}: {p.severity}" for p in problems]
    assert rendered == [
        "1: description: error",
        "2: name: error",
        "3: tools: error",
        "3: tools: error",
        "4: model: error",
        "5: foo: warning",
        "7: body: warning",
    ]
    assert '"Bsh"' in problems[2].message and '"Wrte"' in problems[3].message
    assert str(problems[5]).endswith("(warning)")


def test_valid_file_has_no_problems(write, definition) -> None:
    assert validate_file(write("x.md", definition(tools="Read, Grep", model="haiku"))) == []


def test_fallback_skips_comments_and_warns_on_repeated_keys(write) -> None:
    text = (
        "---\nname: a\n# note: old\ndescription: one: two\n  more\ndescription: three: four\n---\nB"
    )
    d = load_definition(write("a.md", text))
    assert d.description == "three: four"
    assert [(w.line, w.field, w.message) for w in d.warnings] == [
        (6, "description", "given twice; the later one wins")
    ]
