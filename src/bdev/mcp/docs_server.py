"""bdev's offline documentation server: Context7's two tools over installed packages.

    python -m bdev.mcp.docs_server [--site DIR ...]      (or: bdev mcp docs-server)

An MCP server on stdio, built with the SDK's FastMCP. Its tools keep Context7's names
and parameters, so a definition written for Context7 works unchanged and offline:

- `resolve-library-id(libraryName)`: installed distributions matching a name;
- `get-library-docs(context7CompatibleLibraryID, topic?, tokens?)`: the library's
  summary, README and docstrings (bdev.mcp.libdocs), the sections about `topic` first,
  cut to about `tokens` tokens.

Runs register it as `context7` (bdev.mcp.hub). `--site` adds a site-packages folder
to search beside this interpreter's (a project's virtualenv).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from mcp.server.fastmcp import FastMCP

from bdev.mcp import libdocs


def build(sites: Sequence[str] = ()) -> FastMCP:
    server = FastMCP(
        "bdev-docs",
        instructions=(
            "Documentation of the Python packages installed here, offline. Call "
            "resolve-library-id first, then get-library-docs with the id it gives."
        ),
    )

    @server.tool(name="resolve-library-id")
    def resolve_library_id(libraryName: str) -> str:  # Context7's name
        """Find installed libraries matching a package or import name; returns their
        library ids for get-library-docs, best match first."""
        found = libdocs.resolve(libraryName, sites)
        if not found:
            count = len(libdocs.libraries(sites))
            return (
                f"No installed library matches {libraryName!r} ({count} packages are "
                "installed here; this server works offline and knows only those)."
            )
        lines = [f"Installed libraries matching {libraryName!r}, best first:"]
        for lib in found:
            lines.append(f"- Library ID: {lib.id}\n  {lib.name} {lib.version}: {lib.summary}")
        return "\n".join(lines)

    @server.tool(name="get-library-docs")
    def get_library_docs(
        context7CompatibleLibraryID: str,  # Context7's names
        topic: str = "",
        tokens: int = libdocs.DEFAULT_TOKENS,
    ) -> str:
        """Documentation of an installed library (id from resolve-library-id): its
        README and the docstrings of its modules, classes and functions, the sections
        about `topic` first, within about `tokens` tokens."""
        try:
            return libdocs.docs(context7CompatibleLibraryID, topic, tokens, sites)
        except LookupError as e:
            raise ValueError(str(e.args[0]) if e.args else str(e)) from None

    return server


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bdev-docs", description=__doc__.splitlines()[0])
    parser.add_argument("--site", action="append", default=[], help="more site-packages")
    args = parser.parse_args(argv)
    build(args.site).run("stdio")


if __name__ == "__main__":
    main()
