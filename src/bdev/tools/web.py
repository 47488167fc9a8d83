"""WebSearch and WebFetch, behind a provider so a real one can be plugged in later.

bdev runs offline by default: the default provider refuses with a message the model
can act on (use local files and docs instead of retrying).
"""

from __future__ import annotations

from typing import Any, Protocol

from bdev.tools.base import ToolContext, ToolError
from bdev.tools.schema import STRING, object_schema


class WebProvider(Protocol):
    def search(self, query: str) -> str: ...

    def fetch(self, url: str, prompt: str) -> str: ...


class OfflineWebProvider:
    """The default: no network access, said clearly so the model stops trying."""

    def search(self, query: str) -> str:
        raise ToolError("WebSearch: no network access in this session; rely on local files")

    def fetch(self, url: str, prompt: str) -> str:
        raise ToolError(f"WebFetch {url}: no network access in this session; rely on local files")


class WebSearchTool:
    name = "WebSearch"
    description = "Search the web; returns result titles, links and snippets."
    parameters = object_schema({"query": STRING}, "query")
    brief = "Search the web."
    read_only = True

    def __init__(self, provider: WebProvider | None = None) -> None:
        self.provider = provider or OfflineWebProvider()

    def run(self, args: dict[str, Any], ctx: ToolContext) -> str:
        return self.provider.search(args["query"])


class WebFetchTool:
    name = "WebFetch"
    description = "Fetch a URL and answer prompt about its content."
    parameters = object_schema({"url": STRING, "prompt": STRING}, "url", "prompt")
    brief = "Fetch a URL and answer prompt about it."
    read_only = True

    def __init__(self, provider: WebProvider | None = None) -> None:
        self.provider = provider or OfflineWebProvider()

    def run(self, args: dict[str, Any], ctx: ToolContext) -> str:
        return self.provider.fetch(args["url"], args["prompt"])
