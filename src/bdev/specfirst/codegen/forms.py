"""The module that reads non-JSON request bodies, for services whose spec has any."""

from __future__ import annotations

from bdev.specfirst.codegen.jinja import TEMPLATES
from bdev.specfirst.codegen.options import Options
from bdev.specfirst.plan import ServicePlan


def forms_module(plan: ServicePlan, options: Options) -> dict[str, str]:
    """`{"forms": source}` when an operation takes a form, multipart or raw body, else {}."""
    if not any(op.body and op.body.encoding != "json" for op in plan.operations):
        return {}
    source = TEMPLATES.get_template("forms.py.j2").render(
        framework=options.framework,
        single=options.single_file,
        plain=bool(getattr(options, "plain_models", False)),
    )
    return {"forms": source}
