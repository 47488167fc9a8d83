"""Standard-library models, for a Flask service whose allowed requirements leave out pydantic.

The classes and annotations `SchemaCode` writes are rendered the same either way; only
what stands behind the names they use (`ApiModel`, `Field`, `StrictStr`, `TypeAdapter`,
`ValidationError`) changes: pydantic, or the small checker in `models_plain.py.j2`. So
both paths enforce the same rules (types, required, bounds, patterns, formats, defaults)
from the one schema model, and handlers see the same `body.field` / `body.model_dump()`.
"""

from __future__ import annotations

from typing import Any

from bdev.specfirst.codegen.options import Options
from bdev.specfirst.codegen.schemas import EMAIL_PATTERN

# The names every generated module may use, from the generated models instead of pydantic
# (unused ones are pruned; a single file drops `app.` imports as it defines them itself).
TYPING_IMPORTS = """from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from app.models import Field, StrictBool, StrictFloat, StrictInt, StrictStr"""


def models_context(options: Options) -> dict[str, Any]:
    """What models.py.j2 and main_flask.py.j2 need to know about the path taken."""
    return {"plain": options.plain_models, "email_pattern": repr(EMAIL_PATTERN)}
