from __future__ import annotations

import pytest

from bdev.llm import failures

WHERE = failures.Endpoint(
    url="https://api.example.test/v1",
    model="gpt-x",
    key_env="OPENAI_API_KEY",
    url_env="OPENAI_BASE_URL",
    timeout=30,
    max_retries=3,
)


@pytest.mark.parametrize(
    ("status", "expected", "retryable"),
    [
        (
            401,
            "401 from https://api.example.test/v1: the API key was rejected; set OPENAI_API_KEY",
            False,
        ),
        (403, "403 from https://api.example.test/v1: the API key may not use model 'gpt-x'", False),
        (
            404,
            "model 'gpt-x' or the endpoint was not found; check the model name and --base-url",
            False,
        ),
        (429, "rate limited, still after 3 retries", True),
        (503, "503 from https://api.example.test/v1: server error, still after 3 retries", True),
        (400, "400 from https://api.example.test/v1: the request was refused: the detail", False),
    ],
)
def test_status_messages(status: int, expected: str, retryable: bool) -> None:
    error = failures.status_error(status, {"error": {"message": "the detail"}}, "raw", WHERE)
    assert expected in str(error)
    assert "the detail" in str(error)
    assert error.retryable is retryable


def test_detail_falls_back_to_the_sdk_message() -> None:
    error = failures.status_error(418, None, "Error code: 418", WHERE)
    assert (
        str(error)
        == "418 from https://api.example.test/v1: the request was refused: Error code: 418"
    )


def test_connection_error_shows_the_root_cause() -> None:
    try:
        try:
            raise ConnectionRefusedError(111, "Connection refused")
        except OSError as low:
            raise RuntimeError("Connection error.") from low
    except RuntimeError as wrapped:
        error = failures.connection_error(wrapped, WHERE)
    assert (
        "could not connect to https://api.example.test/v1 ([Errno 111] Connection refused)"
        in str(error)
    )
    assert "OPENAI_BASE_URL" in str(error) and error.retryable


def test_timeout_message_names_the_limit() -> None:
    error = failures.timeout_error(WHERE)
    assert "within 30 s" in str(error) and "--timeout" in str(error) and error.retryable
