"""What a user sees when the embedded model cannot run (no model needed)."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from functools import partial

import pytest

from bdev.errors import BdevError
from bdev.llm.base import Message, ModelResponse, ToolSpec
from bdev.llm.local.model import LocalModel, TurnStats


def test_missing_llama_cpp_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # makes `import llama_cpp` fail
    model = LocalModel()  # constructing is free: nothing loads before the first turn

    with pytest.raises(BdevError, match=r'pip install -e "\.\[local\]"'):
        model.complete([Message("user", "hi")], [])


@pytest.fixture(autouse=True)
def _no_grammar(monkeypatch: pytest.MonkeyPatch) -> None:
    """The scripted llamas below stand in for the grammar too: none is built."""
    from bdev.llm.local import model as local

    monkeypatch.setattr(local, "_llama_grammar", lambda rules: None)


def test_unknown_model_id_is_refused_at_construction() -> None:
    with pytest.raises(BdevError, match="unknown model 'qwen-9000'"):
        LocalModel("qwen-9000")


class _ScriptLlama:
    """Stands in for llama.cpp: one token per character of a given reply, and nothing
    after it."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.generated = 0

    def set_seed(self, seed: int) -> None:
        pass

    def generate(self, prompt, **_):
        for i in range(len(self.text)):
            self.generated += 1
            yield i

    def detokenize(self, tokens, special=False) -> bytes:
        return self.text[tokens[0]].encode()


@dataclass
class _Generated:
    """A reply as `LocalModel._generate` produced it from a scripted llama."""

    model: LocalModel
    llm: _ScriptLlama
    stats: TurnStats
    text: str
    n_out: int
    finish: str
    cap: int

    def action(self, tools: list[ToolSpec] | None = None) -> ModelResponse:
        response = ModelResponse(finish_reason=self.finish)
        return self.model._read_action(self.text, response, self.stats, tools)


def _generate(
    reply: str,
    *,
    prompt: list[int] | None = None,
    free: bool = False,
    deadline: float | None = None,
    **model_args,
) -> _Generated:
    """`reply` generated one character per token, under a (stand-in) grammar unless
    `free`, by a model with no stop tokens (and the run's `deadline`, if any)."""
    llm = _ScriptLlama(reply)
    model = LocalModel(**{"max_tokens": 4000, **model_args})
    model._stop_ids = set()
    model.deadline = deadline
    stats = TurnStats()
    rules = None if free else "root ::= x"
    text, n_out, finish, cap = model._generate(llm, prompt or [1], None, stats, 0.0, rules=rules)
    return _Generated(model, llm, stats, text, n_out, finish, cap)


def test_a_reply_stuck_in_a_loop_is_cut_where_the_cycle_began() -> None:
    looping = "def f():\n" + "from a import b\nfrom c import d\n" * 1000  # imports, forever
    run = _generate(looping, free=True, max_tokens=20000)
    assert run.text == "def f():\nfrom a import b\nfrom c import d\n"  # the first copy stays
    assert run.finish == "length" and run.cap == 20000 and run.stats.repeated == "lines"
    assert run.llm.generated < 200  # not 20000 tokens


def test_ordinary_code_is_no_cycle() -> None:
    from bdev.llm.local.repeats import repeat_start

    assert repeat_start("".join(f"x{i} = {i}\n" for i in range(60))) is None
    assert repeat_start("f(\n" + "    )\n" * 8) is None  # short lines repeat in real code
    block = '@app.get("/x")\ndef x():\n    return 1\n\n'
    assert repeat_start("import a\n\n" + block * 2) is None  # twice is not a cycle
    escaped = ("import a\n\n" + block * 4).replace("\n", "\\n")
    cut = repeat_start(escaped, "\\n")
    assert escaped[:cut] == ("import a\n\n" + block).replace("\n", "\\n")


def test_a_line_stuck_in_a_cycle_is_cut_and_ended_at_its_last_item() -> None:
    from bdev.llm.local.repeats import inline_repeat_start

    assert inline_repeat_start("x = [" + "1, " * 10) is None  # short units are data
    names = "from auth import " + "TokenBearer, CodeBearer, " * 40
    head = '{"name": "Write", "arguments": {"file_path": "app.py", "content": "'
    run = _generate(head + names)
    assert run.stats.repeated == "inline" and run.n_out < 400
    first = head + "from auth import TokenBearer, CodeBearer, "
    assert run.text.startswith(first) and len(run.text) < len(first) + 25  # one copy, near
    # The line ends at its last whole name, and the call there: a file that imports.
    action = run.action()
    assert not action.format_errors and action.finish_reason == "tool_calls"
    content = action.tool_calls[0].arguments["content"]
    assert content.startswith("from auth import TokenBearer, CodeBearer")
    assert content.endswith("Bearer\n") and content.count("\n") == 1
    compile(content, "app.py", "exec")
    assert "a line began repeating itself" in action.notice
    # Cut in the path, the call would lack its content: the reply goes back.
    path = '{"name": "Write", "arguments": {"file_path": "a' + "b/c/" * 30
    cut = run.model._read_action(path, ModelResponse(), TurnStats(repeated="inline"), TOOLS)
    assert not cut.tool_calls and "repeating the same lines" in cut.format_errors[0]


TOOLS = [
    ToolSpec(name, "", {"type": "object", "required": required})
    for name, required in (
        ("Write", ["file_path", "content"]),
        ("Edit", ["file_path", "old_string", "new_string"]),
    )
]


def test_an_edit_whose_new_string_goes_round_is_closed_where_the_cycle_began() -> None:
    """As in change task 02 at 5eb2952: a copied `<tool RESPONSE>...` as `new_string`,
    twice sent back as malformed; the last separator lay outside the string."""
    head = (
        '{"name": "Edit", "arguments": {"file_path": "app.py", "old_string": "return '
        'rows", "new_string": "'
    )  # (an old_string that copies the markup is stopped before: see the test below)
    run = _generate(head + "<tool RESPONSE>..." * 60)
    assert run.stats.repeated == "inline" and run.llm.generated < 400
    action = run.action(TOOLS)
    assert not action.format_errors, action.format_errors
    (call,) = action.tool_calls  # well formed: Edit itself says the old_string is not there
    assert call.name == "Edit" and call.arguments["new_string"].startswith("<tool RESPONSE>...")
    assert "a line began repeating itself" in action.notice


def test_a_constrained_write_stuck_in_a_cycle_is_closed_with_the_block_once() -> None:
    # (No definitions: a function defined twice is stopped earlier, by the Write watch.)
    code = "import os\n\n" + 'app.add("/x")\nrows = [os.sep]\n\n' * 9
    head = '{"name": "Write", "arguments": {"file_path": "app.py", "content": '
    run = _generate(head + json.dumps(code)[:-1])  # escaped, and never closed
    action = run.action()
    assert not action.format_errors and action.finish_reason == "tool_calls"
    (call,) = action.tool_calls
    assert call.name == "Write"
    once = code[: code.index("\n\napp", 12)]  # the imports and the first block
    assert call.arguments["content"].rstrip("\n") == once
    assert "repeating" in action.notice
    # Cut where no string can be closed (in the middle of the path): an error, said so.
    lines = TurnStats(repeated="lines")
    cut = run.model._read_action('{"name": "Write", "arguments": {"file_', ModelResponse(), lines)
    assert cut.format_errors and "repeating the same lines" in cut.format_errors[0]


def test_a_call_writing_a_file_may_run_to_the_file_cap() -> None:
    code = "".join(f"x{i} = {i}\n" for i in range(60))  # ~600 characters, no loop
    write = '{"name": "Write", "arguments": {"file_path": "app.py", "content": "' + code
    capped = partial(_generate, max_tokens=100, max_file_tokens=400)
    run = capped(write)
    assert (run.n_out, run.cap, run.finish) == (400, 400, "length")  # past 100, the file cap
    read = '{"name": "Read", "arguments": {"file_path": "' + "a" * 300
    run = capped(read)
    assert (run.n_out, run.cap) == (100, 100)  # any other call keeps the ordinary cap
    # Written freely, after a tag, the same call gets the same room; prose does not.
    run = capped("<tool_call>\n" + write, free=True)
    assert (run.n_out, run.cap) == (400, 400)
    run = capped("Here is the plan. " * 40 + write, free=True)
    assert (run.n_out, run.cap) == (100, 100)


class _ByteTokens:
    """Stands in for a loaded llama.cpp model: one token per byte, and a chat template
    that puts the whole conversation after the cached prefix."""

    def tokenize(self, data: bytes, add_bos: bool = False, special: bool = False) -> list[int]:
        return list(data)

    def split_prefix(self, messages, tools):
        return "", "".join(m.content for m in messages)


def test_a_conversation_that_leaves_no_room_for_a_reply_ends_with_why() -> None:
    from bdev.llm.base import ModelError
    from bdev.llm.local.model import MIN_REPLY_ROOM

    model = LocalModel(n_ctx=1000)
    model._llm = _ByteTokens()
    model._template = _ByteTokens()  # type: ignore[assignment]
    # A reply generated into the last few tokens would be cut off mid-call (a change run
    # ended so, 19 tokens left): the turn is refused, with the sizes.
    too_long = [Message("user", "x" * (1000 - MIN_REPLY_ROOM + 1))]
    with pytest.raises(
        ModelError, match=r"is 937 tokens: .* window of 1000 .* no room for a reply"
    ):
        model.complete(too_long, [])


def test_a_reply_cut_by_the_context_window_says_the_window_not_the_cap() -> None:
    from bdev.llm.base import Usage

    path = "/".join(f"part{i * 7919 % 1000}" for i in range(60))  # no cycle, 400+ chars
    read = '{"name": "Read", "arguments": {"file_path": "' + path
    # 200 tokens left in the window, under the cap of 400
    run = _generate(read, prompt=[1] * 300, n_ctx=500, max_tokens=400)
    assert (run.n_out, run.cap, run.finish, run.stats.window_full) == (200, 400, "length", True)
    usage = Usage(300, run.n_out)
    response = ModelResponse(finish_reason=run.finish, max_output_tokens=run.cap, usage=usage)
    error = run.model._read_action(run.text, response, run.stats).format_errors[0]
    assert "context window of 500 tokens was full (300 of them" in error
    assert "cap" not in error
    # Stopped by the cap itself, the cap is what the reply hears about.
    run = _generate(read, n_ctx=500, max_tokens=400)
    assert not run.stats.window_full
    response = ModelResponse(finish_reason="length", max_output_tokens=400)
    errors = run.model._read_action(run.text, response, run.stats).format_errors
    assert "cap of 400 tokens" in errors[0]


def test_a_short_unit_repeated_far_is_a_cycle_but_a_rule_of_dashes_is_not() -> None:
    from bdev.llm.local.repeats import LONG_RUN, inline_repeat_start

    # As the embedded model ended a Write in a constrained change run: `'}` 700 times,
    # 2,048 tokens and nearly three minutes.
    head = "</tool_response>']}"
    text = head + "'}" * 300
    assert inline_repeat_start(text) == len(head) + 2  # the first copy stays
    assert inline_repeat_start("# " + "-" * 78) is None
    assert inline_repeat_start("# " + "=" * (LONG_RUN - 10)) is None
    assert inline_repeat_start("x = " + "0" * (LONG_RUN - 10)) is None  # zeros: layout
    assert inline_repeat_start("# " + "=" * LONG_RUN) == 3


def _constrained_write(path: str, content: str, **model_args):
    """A constrained Write of `content` to `path`, generated one character per token and
    read as an action: (action, stats, tokens generated)."""
    reply = '{"name": "Write", "arguments": {"file_path": ' + json.dumps(path) + ', "content": '
    return _constrained(reply + json.dumps(content)[:-1], **model_args)  # never closed


def _constrained(reply: str, **model_args):
    """`reply` generated under a (stand-in) grammar and read as an action:
    (action, stats, the scripted llama)."""
    run = _generate(reply, **model_args)
    return run.action(), run.stats, run.llm


def test_a_write_that_opens_with_a_tool_result_is_stopped_after_its_first_line() -> None:
    copied = "<tool response>1\n" + "".join(f"{n}\n" for n in range(2, 600))
    action, stats, llm = _constrained_write("app.py", copied)
    # A well-formed call with the first line as its content, for Write to refuse.
    assert not action.format_errors and action.finish_reason == "tool_calls"
    (call,) = action.tool_calls
    assert call.arguments == {"file_path": "app.py", "content": "<tool response>1\n"}
    assert "cannot begin a Python module" in stats.write_stopped
    assert "stopped this Write where its content could not be the file's" in action.notice
    assert llm.generated < 120  # not the 2,000 characters of the copy

    # Prose with no line break, cut at the cap, is judged as far as it went.
    prose = "app.py updated with validation for name and email fields. " * 20
    action, stats, _ = _constrained_write("app.py", prose, max_tokens=200, max_file_tokens=200)
    assert action.tool_calls and not action.format_errors
    assert action.tool_calls[0].arguments["content"].startswith("app.py updated with")
    # A copied call with no line break for 6,000 characters (change task 01 at 72bc3dc):
    # judged once the open line is long, not at the cap minutes later.
    call = '<tools><function name="Read" arguments="{\\"file_path\\": \\\\"/tmp/w/app.py\\"}"/>'
    action, stats, llm = _constrained_write("app.py", call * 100)
    assert action.tool_calls and not action.format_errors, action.format_errors
    assert "its first line, `<tools><function name=" in stats.write_stopped
    assert llm.generated < 250
    # A long first line of code is let through while it may still be code.
    header = "LIMITS = {" + ", ".join(f'"route_{i}": {i}' for i in range(40)) + "}\n"
    _, stats, llm = _constrained_write("app.py", header + "app = None\n")
    assert not stats.write_stopped and llm.generated == len(llm.text)
    # A copied result with no space or line break, stopped as a cycle (change task 09).
    looped = "<toolResponse>...<toolResponse>**/tmp/w/09-todo/" * 40
    action, stats, _ = _constrained_write("app.py", looped)
    assert action.tool_calls and not action.format_errors, action.format_errors
    assert "cannot begin a Python module" in stats.write_stopped


def test_a_write_of_code_or_of_another_kind_of_file_is_not_stopped() -> None:
    code = '"""Service."""\n\nfrom flask import Flask\n\napp = Flask(__name__)\n'
    _, stats, llm = _constrained_write("app.py", code)
    assert not stats.write_stopped and llm.generated == len(llm.text)
    notes = "<tool response> is how results look\n" + "".join(f"- item {i}\n" for i in range(20))
    _, stats, llm = _constrained_write("NOTES.md", notes)
    assert not stats.write_stopped and llm.generated == len(llm.text)
    # Code cut at the cap is still a reply cut off, said so (the file would lose its end).
    long_code = "".join(f"value_{i} = {i}\n" for i in range(300))
    action, stats, _ = _constrained_write("app.py", long_code, max_tokens=300, max_file_tokens=300)
    assert not stats.write_stopped and "cut off at the cap" in action.format_errors[0]


def test_a_write_that_goes_round_its_module_again_is_stopped_at_the_second_definition() -> None:
    first = "import jwt\n\n\ndef member_id(token):\n    return int(jwt.decode(token)['sub'])\n"
    # The second time round with small changes: no exact cycle, but member_id again.
    module = first + "\n\ndef borrow(book):\n    return book\n\n\n" + first.replace("sub", "id")
    module += "".join(f"\n\ndef extra_{i}():\n    return {i}\n" for i in range(60))
    action, stats, llm = _constrained_write("app.py", module)
    assert not action.format_errors and action.tool_calls
    # Closed with the first round, each function once, for Write to take: refused whole,
    # the model sent the same call 20 times (greenfield scenario 02 at `8398468`).
    content = action.tool_calls[0].arguments["content"]
    assert content == first + "\n\ndef borrow(book):\n    return book\n"
    assert "defines `member_id` twice, at lines 4 and 15" in stats.write_stopped
    assert "keeps the module before it (lines 1-9)" in stats.write_stopped
    assert "bdev stopped this Write" in action.notice
    assert llm.generated < len(llm.text) // 2
    # When the part before does not parse, the call keeps all it had, for Write to refuse.
    broken = first + "\n\nrows = [\n\n\n" + first
    action, stats, _ = _constrained_write("app.py", broken)
    content = action.tool_calls[0].arguments["content"]
    assert content.endswith("def member_id(token):\n") and "keeps" not in stats.write_stopped


def _constrained_edit(path: str, old: str, new: str = ""):
    """A constrained Edit, generated one character per token: (action, stats, llm)."""
    arguments = {"file_path": path, "old_string": old, "new_string": new}
    return _constrained(json.dumps({"name": "Edit", "arguments": arguments}))


def test_an_edit_whose_old_string_copies_a_call_is_stopped_and_can_change_nothing() -> None:
    # Change task 07 at 8d6ceff: a copy of an earlier call, nested in itself to the cap.
    nested = "<tools><function name='Edit' arguments='{'file_path': 'app.py', 'old_string': "
    action, stats, llm = _constrained_edit("app.py", nested * 40, nested * 40)
    assert not action.format_errors and action.finish_reason == "tool_calls"
    (call,) = action.tool_calls
    # Closed with new_string the same text: Edit refuses it, whatever the file holds.
    assert call.arguments["old_string"] == call.arguments["new_string"]
    assert call.arguments["old_string"].startswith("<tools><function")
    assert "is a copy of a tool call or result" in stats.write_stopped
    assert "stopped this Edit where its old_string could not be text of the file" in (action.notice)
    assert llm.generated < 150
    # Text that is in files is let through: code, and markup that is not a call's.
    for old in ("def health():\n    return 1\n", '<html><body>{{ name }}</body></html>"""'):
        action, stats, llm = _constrained_edit("app.py", old, old.replace("1", "2"))
        assert not stats.write_stopped and llm.generated == len(llm.text)
        assert action.tool_calls[0].arguments["old_string"] == old
    _, stats, _ = _constrained_edit("NOTES.md", "<tool response> is how results look")
    assert not stats.write_stopped


def test_an_edit_whose_old_string_goes_round_the_module_again_is_stopped() -> None:
    # Greenfield scenario 11 at 9472785: old_string quoted the module, then began it again,
    # and ran to the cap in the middle of the call (three replies of 2,048 tokens).
    module = "import os\n\napp = None\n\n\ndef hash_password(p):\n    return p\n\n\n"
    module += "def save(title):\n    return title\n\n\n"
    action, stats, llm = _constrained_edit("app.py", module * 20, "x")
    assert not action.format_errors and action.finish_reason == "tool_calls"
    (call,) = action.tool_calls
    assert call.arguments["old_string"] == call.arguments["new_string"]
    assert call.arguments["old_string"].endswith("def hash_password(p):\n")
    assert "its old_string defines `hash_password` twice" in stats.write_stopped
    assert llm.generated < len(module) * 3
    # A whole module quoted once is let through, as is the rest of the call.
    action, stats, llm = _constrained_edit("app.py", module, module.replace("p\n", "p * 2\n"))
    assert not stats.write_stopped and llm.generated == len(llm.text)
    assert action.tool_calls[0].arguments["old_string"] == module


def test_an_edit_cut_in_a_cycle_in_its_old_string_is_closed_to_change_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bdev.llm.local import model as local

    monkeypatch.setattr(local, "_llama_grammar", lambda rules: None)
    # Greenfield scenario 11 at 4c2f249: old_string began the imports again and again; the
    # cycle guard cut it there, without a new_string, and the reply went back as malformed.
    imports = "from fastapi import FastAPI, HTTPException\nfrom pydantic import BaseModel\n"
    for path in ("app.py", "NOTES.md"):  # any file: none holds a block three times over
        action, stats, llm = _constrained_edit(path, imports * 12, "x")
        assert not action.format_errors and action.finish_reason == "tool_calls"
        (call,) = action.tool_calls
        old = call.arguments["old_string"]  # the first copy, as the cycle guard cut it
        assert old == call.arguments["new_string"] and imports in old
        assert len(old) < len(imports) * 2
        assert "its old_string began repeating itself" in stats.write_stopped
        assert "stopped this Edit where its old_string could not be text" in action.notice
        assert llm.generated < len(llm.text) // 2  # stopped at the third copy, not the cap
    # A cycle in the new_string keeps the old_string as it was: closed there, as before.
    action, stats, _ = _constrained_edit("app.py", "x = 1\n", imports * 12)
    (call,) = action.tool_calls
    assert call.arguments["old_string"] == "x = 1\n" and stats.repeated == "lines"
    assert imports in call.arguments["new_string"]
    assert len(call.arguments["new_string"]) < len(imports) * 2


def test_prose_going_round_within_a_write_is_cut_after_three_copies() -> None:
    """As in greenfield scenario 06 at `bbc9c3a`: a Write's content turned into six
    sentences repeating within one line, to the cap (190 s), and a call cut off."""
    from bdev.llm.local.repeats import long_repeat_start

    modules = ("secrets", "hashlib", "pydantic", "fastapi", "uvicorn", "os")
    round_ = "".join(
        f"The code is bound by using the `{m}` module to do its part. " for m in modules
    )
    code = "import os\\n\\napp = None\\n\\n"
    head = '{"name": "Write", "arguments": {"file_path": "app.py", "content": "'
    run = _generate(head + code + round_ * 8, max_tokens=8000)
    assert run.stats.repeated == "inline"
    assert run.n_out < len(head + code) + 3 * len(round_) + 20  # not eight rounds to the cap
    assert run.text.startswith(head + code + round_)
    action = run.action(TOOLS)
    assert not action.format_errors and action.tool_calls  # a call, for Write to judge
    assert action.tool_calls[0].arguments["content"].count("`secrets`") == 1
    # Real code repeating a long block twice, or varying it, is no cycle.
    handler = '@app.get("/items/{item_id}")\\ndef read(item_id: int):\\n    return {}\\n\\n'
    assert long_repeat_start(code + handler * 2) is None
    assert long_repeat_start(code + handler + handler.replace("read", "read2") * 2) is None


def test_a_reply_stops_at_the_run_deadline() -> None:
    import time

    from bdev.llm.base import TIME_UP, reply_deadline
    from bdev.llm.scripted import ScriptedModel

    write = '{"name": "Write", "arguments": {"file_path": "app.py", "content": "x = 1\\n'
    run = _generate(write, deadline=time.monotonic() - 1)  # already past
    assert (run.text, run.n_out, run.finish) == ("", 0, TIME_UP)
    run = _generate(write, deadline=time.monotonic() + 600)
    assert run.text == write and run.finish == "length"  # the whole reply, time to spare
    # The deadline holds for one call; a model that cannot stop a reply is left alone.
    model = LocalModel()
    with reply_deadline(model, 123.0):
        assert model.deadline == 123.0
    assert model.deadline is None
    scripted = ScriptedModel.from_turns([{"content": "done"}])
    with reply_deadline(scripted, time.monotonic()):
        assert not hasattr(scripted, "deadline")
