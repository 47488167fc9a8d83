"""The grammar a constrained local reply follows: one tool call or finish, nothing else."""

from __future__ import annotations

import ctypes
import math
from typing import Any

import jsonschema
import pytest

from bdev.llm.base import ModelResponse
from bdev.llm.local import grammar
from bdev.llm.local.model import LocalModel
from bdev.tools.registry import build_tools, tool_specs

SPECS = tool_specs(build_tools(["Read", "Write", "Bash"]))


def _valid(action: object) -> bool:
    try:
        jsonschema.validate(action, grammar.action_schema(SPECS))
    except jsonschema.ValidationError:
        return False
    return True


def test_action_schema_accepts_one_call_or_finish() -> None:
    assert _valid({"name": "Write", "arguments": {"file_path": "a.py", "content": "x = 1\n"}})
    assert _valid({"name": "finish", "arguments": {"summary": "Added GET /health."}})


@pytest.mark.parametrize(
    "action",
    [
        {"name": "Write", "arguments": {"file_path": "a.py"}},  # content missing
        {"name": "Deploy", "arguments": {}},  # no such tool
        [{"name": "Read", "arguments": {"file_path": "a"}}] * 2,  # two calls in one reply
        "I created test_app.py and the tests pass.",  # prose posing as a result
    ],
)
def test_action_schema_rejects_what_small_models_write(action: object) -> None:
    assert not _valid(action)


def test_without_finish_a_reply_must_call_a_tool() -> None:
    schema = grammar.action_schema(SPECS, finish=False)
    jsonschema.validate({"name": "Read", "arguments": {"file_path": "a.py"}}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"name": "finish", "arguments": {"summary": "done"}}, schema)
    assert '"\\"finish\\""' not in grammar.gbnf(SPECS, finish=False)
    assert "file-text" in grammar.gbnf(SPECS, finish=False)  # Write's rule is still spliced


class _Tokens:
    """Stands in for a loaded llama.cpp model and its chat template: one token per byte."""

    input_ids: tuple[int, ...] = ()
    n_tokens = 0

    def tokenize(self, data: bytes, add_bos: bool = False, special: bool = False) -> list[int]:
        return list(data)

    def split_prefix(self, messages, tools):
        return "", "".join(m.content for m in messages)


def test_finish_is_offered_once_a_tool_has_run_and_a_barred_tool_is_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bdev.llm.base import Message, barred_tools

    model = LocalModel(n_ctx=4000)
    model._llm = model._template = _Tokens()  # type: ignore[assignment]
    grammars: list[str | None] = []

    def generate(llm, prompt, on_text, stats, started, rules=None):
        grammars.append(rules)
        return '{"name": "Read", "arguments": {"file_path": "a.py"}}', 9, "stop", 300

    monkeypatch.setattr(model, "_generate", generate)
    task = [Message("system", "You write code."), Message("user", "Add GET /health.")]
    model.complete(task, SPECS)
    read = Message("assistant", "", model.complete(task, SPECS).tool_calls)
    result = Message("tool", "x = 1", tool_call_id=read.tool_calls[0].id, name="Read")
    model.complete([*task, read, result], SPECS)
    assert grammars[0] == grammar.gbnf(SPECS, finish=False)
    assert grammars[2] == grammar.gbnf(SPECS)  # a tool has run: the task may end
    # A tool barred for a turn (the loop's, after a refused repeat) is left out of the
    # grammar, not the prompt; a turn that would bar every tool bars none.
    with barred_tools(model, {SPECS[0].name}):
        model.complete([*task, read, result], SPECS)
    assert grammars[3] == grammar.gbnf(SPECS[1:])
    assert model.barred == frozenset()
    with barred_tools(model, {spec.name for spec in SPECS}):
        model.complete([*task, read, result], SPECS)
    assert grammars[4] == grammar.gbnf(SPECS)


def test_grammar_names_every_tool_and_keeps_parameter_names() -> None:
    rules = grammar.gbnf(tool_specs(build_tools()))
    for spec in tool_specs(build_tools()):
        assert f'"\\"{spec.name}\\""' in rules, spec.name
    # Bash has a parameter called "description": a property name, not the keyword.
    assert '"\\"description\\""' in rules
    assert '"\\"finish\\""' in rules and "root ::=" in rules


def _read(text: str, finish: str = "stop") -> ModelResponse:
    model = LocalModel(max_tokens=300)  # never loaded: reading a reply needs no weights
    return model._read_action(text, ModelResponse(max_output_tokens=300, finish_reason=finish))


def test_a_call_becomes_one_tool_call() -> None:
    response = _read('{"name": "Read", "arguments": {"file_path": "app.py"}}')
    assert [(c.name, c.arguments) for c in response.tool_calls] == [
        ("Read", {"file_path": "app.py"})
    ]
    assert response.finish_reason == "tool_calls" and not response.format_errors


def test_finish_ends_the_task_with_its_summary() -> None:
    response = _read('{"name": "finish", "arguments": {"summary": "Done: GET /health."}}')
    assert response.tool_calls == [] and response.content == "Done: GET /health."
    assert response.finish_reason == "stop"


def test_a_reply_cut_at_the_cap_says_the_cap() -> None:
    cut = '{"name": "Write", "arguments": {"file_path": "app.py", "content": "fr'
    response = _read(cut, finish="length")
    assert response.tool_calls == []
    assert "cap of 300 tokens" in response.format_errors[0]
    assert "ended before the call was complete" in _read(cut).format_errors[0]


def test_strings_admit_no_control_characters_nor_chat_control_tokens() -> None:
    rules = grammar.gbnf(SPECS)
    char = next(line for line in rules.splitlines() if line.startswith("char ::="))
    assert "\\x00-\\x1F" in char  # raw newlines are written \n, as JSON wants
    assert '"<"+ lt' in char
    lt = next(line for line in rules.splitlines() if line.startswith("lt ::="))
    assert "|t/]" in lt  # after "<": not "|" (<|im_start|>), nor "tool_" or "/tool_" unchecked


@pytest.fixture(scope="module")
def vocab_model() -> Any:
    """The embedded model's vocabulary alone (no weights): what llama.cpp's grammar
    sampler needs."""
    llama_cpp = pytest.importorskip("llama_cpp")
    from bdev.llm import catalog

    try:
        path = catalog.ensure_installed()
    except Exception as e:  # parts not installed: nothing to test here
        pytest.skip(f"embedded model not available: {e}")
    return llama_cpp.Llama(model_path=str(path), vocab_only=True, verbose=False)


@pytest.mark.model
def test_llama_cpp_accepts_the_grammar_for_every_tool_set(vocab_model: Any) -> None:
    import llama_cpp

    for compact in (False, True):
        rules = grammar.gbnf(tool_specs(build_tools(), compact=compact))
        sampler = llama_cpp.llama_sampler_init_grammar(
            vocab_model._model.vocab, rules.encode(), b"root"
        )
        assert sampler, "llama.cpp could not parse the grammar"
        llama_cpp.llama_sampler_free(sampler)


def test_a_files_content_is_the_one_string_that_must_end_with_a_line_break() -> None:
    rules = grammar.gbnf(tool_specs(build_tools(["Read", "Write", "Edit", "TodoWrite"])))
    kvs = [line for line in rules.splitlines() if "content-kv ::=" in line]
    assert [line.rsplit(" ", 1)[1] for line in kvs] == ["file-text", "string"]  # Write, todos
    assert 'file-text ::= "\\"" (char* "\\\\n")? "\\"" space' in rules.splitlines()
    assert "file-text" not in grammar.gbnf(tool_specs(build_tools(["Read", "Edit"])))


# What the embedded model wrote in a constrained run (greenfield 02, 2026-12-02): it
# meant `data={"sub": ...}` and left out the backslash, so its quote ended the content.
CUT_BY_A_QUOTE = (
    '{"name": "Write", "arguments": {"file_path": "app.py", "content": '
    '"def token(user):\\n    return create_access_token(data={"}}'
)


@pytest.mark.model
def test_llama_cpp_ends_a_files_content_only_after_a_line_break(vocab_model: Any) -> None:
    import llama_cpp

    vocab = vocab_model._model.vocab
    rules = grammar.gbnf(tool_specs(build_tools(["Read", "Write"]), compact=True)).encode()

    def accepted(text: str) -> bool:
        """Whether llama.cpp's grammar sampler lets every token of `text` through, and
        then the end of the reply."""
        sampler = llama_cpp.llama_sampler_init_grammar(vocab, rules, b"root")
        try:
            tokens = vocab_model.tokenize(text.encode(), add_bos=False, special=False)
            for n, token in enumerate([*tokens, llama_cpp.llama_vocab_eos(vocab)]):
                one = (llama_cpp.llama_token_data * 1)(llama_cpp.llama_token_data(token, 0.0, 0.0))
                candidates = llama_cpp.llama_token_data_array(one, 1, -1, False)
                llama_cpp.llama_sampler_apply(sampler, ctypes.byref(candidates))
                if math.isinf(one[0].logit):
                    return False
                if n < len(tokens):
                    llama_cpp.llama_sampler_accept(sampler, token)
            return True
        finally:
            llama_cpp.llama_sampler_free(sampler)

    write = '{"name": "Write", "arguments": {"file_path": "app.py", "content": %s}}'
    assert accepted(write % '"x = {\\"a\\": 1}\\n"')  # escaped quotes, a final \n
    assert accepted(write % '""')  # an empty file
    assert not accepted(CUT_BY_A_QUOTE)
    assert not accepted(write % '"x = 1"')  # no line break at the end
    assert accepted('{"name": "Read", "arguments": {"file_path": "a.py"}}')
    assert accepted('{"name": "finish", "arguments": {"summary": "done"}}')
    # Markup and comparisons go through; the chat format's tags do not (a copy of a tool
    # result written as a file, as a constrained change run did turn after turn).
    html = '"<table><tr><td>a</td></tr></table>\\n<tool>x</toolbar>\\n"'
    assert accepted(write % html)
    assert accepted(write % '"if a < b and c <= d: x <<= 1\\n"')
    assert not accepted(write % '"<tool_response>\\nEdited app.py\\n</tool_response>\\n"')
    assert not accepted(write % '"x = 1\\n</tool_call>\\n"')
    assert not accepted(write % '"<tool-response>  1\\tx = 1\\n"')  # as 02 tried next
    assert not accepted(write % '"<|im_end|>\\n"')
    rules = grammar.gbnf(tool_specs(build_tools(["Read", "Write"]), compact=True), False).encode()
    assert not accepted('{"name": "finish", "arguments": {"summary": "done"}}')
