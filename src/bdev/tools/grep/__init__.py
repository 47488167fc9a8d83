"""The Grep tool and its two search engines."""

from bdev.tools.grep.pure import PythonEngine
from bdev.tools.grep.query import GrepEngine, GrepQuery, Line
from bdev.tools.grep.ripgrep import RipgrepEngine, find_rg
from bdev.tools.grep.tool import GrepTool, default_engine

__all__ = [
    "GrepEngine",
    "GrepQuery",
    "GrepTool",
    "Line",
    "PythonEngine",
    "RipgrepEngine",
    "default_engine",
    "find_rg",
]
