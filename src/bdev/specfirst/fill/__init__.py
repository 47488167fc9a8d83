"""The model fills the skeleton's slots, one operation at a time.

    filler = SlotFiller(plan, out, model)
    reports = [filler.fill(slot) for slot in slots_for(plan)]

`filler` drives one slot (prompt, answer, splice, checks, retries); `prompt` writes the
short prompt, `code` gets a body out of an answer and splices it, `imports` adds the
imports a body forgot, `check` holds the checks a body must pass at once: its own per-call
rules, `flow` (request data followed into sinks, named in `sinks`) and `stray` (a web
app written into the body).
"""

from bdev.specfirst.fill.filler import SlotFiller, SlotReport

__all__ = ["SlotFiller", "SlotReport"]
