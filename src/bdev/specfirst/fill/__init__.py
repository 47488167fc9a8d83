"""The model fills the skeleton's slots, one operation at a time.

    filler = SlotFiller(plan, out, model)
    reports = [filler.fill(slot) for slot in slots_for(plan)]

`filler` drives one slot (prompt, answer, splice, checks, retries); `prompt` writes the
short prompt, `code` gets a body out of an answer and splices it, `repair` rewrites a
small model's framework habits into the skeleton's terms (with `habits` for request and
upload objects, `rewrites` for whole-function ones, `nodes` for AST building), `imports`
adds the imports a body forgot, and `check` holds the checks a body must pass at once:
its own per-call rules, `flow` (request data followed into sinks, named in `sinks`),
`stray` (a web app written into the body), `settings` (environment variables the task
never named), `statuses` (errors the operation does not document) and `fields` (body
fields the request does not have).
"""

from bdev.specfirst.fill.filler import SlotFiller, SlotReport

__all__ = ["SlotFiller", "SlotReport"]
