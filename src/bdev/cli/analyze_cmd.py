"""`bdev analyze PATH` (placeholder)."""


def analyze() -> None:
    """Describe a backend codebase."""
