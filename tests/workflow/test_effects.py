"""A changed function keeps the calls it made for their effects (`workflow.effects`)."""

from __future__ import annotations

from bdev.workflow.effects import dropped_effects

SAVE = """import os


def save(name, data):
    path = os.path.join(ROOT, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    log.info("saving %s", name)
    with open(path, "wb") as f:
        f.write(data)
    return path
"""

REQUEST = "Fix path traversal in save: every file must stay inside ROOT."


def test_a_call_made_for_its_effect_and_dropped_goes_back() -> None:
    # As in change task 06 at 9472785: safe now, but sub-folders are no longer made.
    safe = SAVE.replace("    os.makedirs(os.path.dirname(path), exist_ok=True)\n", "")
    safe = safe.replace("os.path.join(ROOT, name)", "os.path.realpath(os.path.join(ROOT, name))")
    (problem,) = dropped_effects(REQUEST, SAVE, safe, {"save"})
    assert problem.startswith("`save` no longer calls `os.makedirs`")
    assert "os.makedirs(os.path.dirname(path), exist_ok=True)" in problem


def test_the_same_call_by_another_name_or_in_a_helper_is_kept() -> None:
    renamed = SAVE.replace("as f:", "as out:").replace("f.write", "out.write")
    assert dropped_effects(REQUEST, SAVE, renamed, {"save"}) == []
    # The work moved into a helper of the module that the function calls.
    helper = SAVE.replace(
        "    os.makedirs(os.path.dirname(path), exist_ok=True)\n", "    _folder_for(path)\n"
    )
    helper += "\n\ndef _folder_for(path):\n    os.makedirs(os.path.dirname(path), exist_ok=True)\n"
    assert dropped_effects(REQUEST, SAVE, helper, {"save"}) == []


def test_logging_built_values_and_what_the_request_names_may_go() -> None:
    quiet = SAVE.replace('    log.info("saving %s", name)\n', "")
    assert dropped_effects(REQUEST, SAVE, quiet, {"save"}) == []
    listing = "def names(rows):\n    found = []\n    for r in rows:\n        found.append(r.name)\n"
    listing += "    return found\n"
    comprehension = "def names(rows):\n    return [r.name for r in rows]\n"
    assert dropped_effects("", listing, comprehension, {"names"}) == []
    bare = SAVE.replace("    os.makedirs(os.path.dirname(path), exist_ok=True)\n", "")
    asked = "save must no longer call makedirs: the folders exist."
    assert dropped_effects(asked, SAVE, bare, {"save"}) == []
    # Only the functions the answer wrote are judged, and new ones have nothing to keep.
    assert dropped_effects(REQUEST, SAVE, bare, {"other"}) == []
    assert dropped_effects(REQUEST, None, bare, {"save"}) == []
