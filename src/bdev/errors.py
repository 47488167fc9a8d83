"""Errors a user can cause. The CLI prints their message alone, never a traceback."""


class BdevError(Exception):
    """A problem with the user's input or environment, with a message that says what to fix.

    `exit_code` is what the CLI exits with; 2 is the conventional code for bad usage.
    """

    exit_code = 2

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code
