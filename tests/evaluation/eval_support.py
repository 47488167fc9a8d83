"""Paths and small builders shared by the evaluation tests."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SUITE = ROOT / "benchmarks" / "scenarios"
HERE = Path(__file__).resolve().parent
REFERENCE = HERE / "reference"
INSECURE = HERE / "insecure"


def reference_app(slug: str) -> str:
    return (REFERENCE / slug / "app.py").read_text()


def insecure_app(slug: str) -> str:
    return (INSECURE / slug / "app.py").read_text()


def fenced(code: str) -> dict[str, str]:
    """A single-shot model turn answering with `code` the way the prompt asks."""
    return {"content": f"Here is app.py:\n\n```python\n{code}```\n"}
