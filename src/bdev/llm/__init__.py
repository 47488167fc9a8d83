"""Models: one small protocol and its providers."""

from bdev.llm.base import (
    Message,
    Model,
    ModelError,
    ModelResponse,
    ToolCall,
    ToolSpec,
    Usage,
)

__all__ = ["Message", "Model", "ModelError", "ModelResponse", "ToolCall", "ToolSpec", "Usage"]
