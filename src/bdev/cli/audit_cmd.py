"""`bdev audit PATH` (placeholder)."""


def audit() -> None:
    """Measure a backend service."""
