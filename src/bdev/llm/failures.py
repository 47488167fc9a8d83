"""One clear `ModelError` for each way a remote model can fail.

Both SDKs (openai, anthropic) already retry 408/409/429/5xx, timeouts and connection
errors with exponential backoff (0.5 s doubling, capped at 8 s, minus up to 25 % jitter)
and honour `retry-after` / `retry-after-ms`; see `_calculate_retry_timeout` and
`_should_retry` in their `_base_client.py`. We rely on that and only translate what is
left once their `max_retries` are spent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bdev.llm.base import ModelError


@dataclass(frozen=True)
class Endpoint:
    """What a message needs to say where the failure happened and what to change."""

    url: str
    model: str
    key_env: str  # e.g. "OPENAI_API_KEY"
    url_env: str  # e.g. "OPENAI_BASE_URL"
    timeout: float
    max_retries: int


def status_error(status: int, body: Any, fallback: str, where: Endpoint) -> ModelError:
    detail = _detail(body) or fallback
    prefix = f"{status} from {where.url}"
    tries = f"after {where.max_retries} retries" if where.max_retries else "(retries disabled)"
    if status == 401:
        return ModelError(
            f"{prefix}: the API key was rejected; set {where.key_env} or --api-key ({detail})"
        )
    if status == 403:
        return ModelError(
            f"{prefix}: the API key may not use model {where.model!r}; check its permissions "
            f"({detail})"
        )
    if status == 404:
        return ModelError(
            f"{prefix}: model {where.model!r} or the endpoint was not found; check the model "
            f"name and --base-url / {where.url_env} ({detail})"
        )
    if status == 429:
        return ModelError(
            f"{prefix}: rate limited, still {tries}; wait and run again, or lower the "
            f"request rate ({detail})",
            retryable=True,
        )
    if status >= 500:
        return ModelError(
            f"{prefix}: server error, still {tries}; try again later ({detail})",
            retryable=True,
        )
    return ModelError(f"{prefix}: the request was refused: {detail}")


def timeout_error(where: Endpoint) -> ModelError:
    return ModelError(
        f"no answer from {where.url} within {where.timeout:g} s (model {where.model!r}, "
        f"{where.max_retries} retries); the server is slow or stuck: raise --timeout or try "
        "again later",
        retryable=True,
    )


def connection_error(cause: BaseException | None, where: Endpoint) -> ModelError:
    reason = f" ({_root(cause)})" if cause is not None else ""
    return ModelError(
        f"could not connect to {where.url}{reason} after {where.max_retries} retries; check "
        f"that the server is running and that --base-url / {where.url_env} is right",
        retryable=True,
    )


def stream_error(message: str, where: Endpoint) -> ModelError:
    return ModelError(f"{where.url} broke off its answer: {message}; try again", retryable=True)


def _detail(body: Any) -> str:
    """The server's own error text, from the usual {"error": {"message": ...}} shapes."""
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict):
            message = inner.get("message")
            if isinstance(message, str):
                return message
        if isinstance(inner, str):
            return inner
    if isinstance(body, str):
        return body[:200]
    return ""


def _root(exc: BaseException) -> str:
    # The SDKs wrap the socket error a few levels deep; its text is the useful one.
    while exc.__cause__ is not None:
        exc = exc.__cause__
    return str(exc) or type(exc).__name__
