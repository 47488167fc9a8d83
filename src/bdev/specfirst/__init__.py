"""Spec-first service generation: an OpenAPI document in, a runnable service skeleton out.

    plan = build_plan(load_spec("api.yaml"))
    written = generate(plan, Options(framework="fastapi"), Path("out"))

No model is involved: operations that are mechanical CRUD get working bodies, the rest
are slots (`slots_for(plan)`) that answer 501 until written.
"""

from bdev.specfirst.build import build_plan
from bdev.specfirst.codegen.options import Options
from bdev.specfirst.codegen.service import render
from bdev.specfirst.codegen.slots import Slot, slots_for
from bdev.specfirst.generate import generate, read_requirements
from bdev.specfirst.loader import load_spec
from bdev.specfirst.plan import Operation, Resource, ServicePlan

__all__ = [
    "Operation",
    "Options",
    "Resource",
    "ServicePlan",
    "Slot",
    "build_plan",
    "generate",
    "load_spec",
    "read_requirements",
    "render",
    "slots_for",
]
