"""Agent definitions: the Claude Code sub-agent format, discovery, and routing a task.

This package never calls a model or a tool; it only reads and chooses definitions.
"""

from bdev.agents.definition import AgentDefinition, load_definition, validate_file
from bdev.agents.examples import Example
from bdev.agents.problems import DefinitionError, Problem
from bdev.agents.registry import AgentRegistry
from bdev.agents.router import Choice, choose_agent

__all__ = [
    "AgentDefinition",
    "AgentRegistry",
    "Choice",
    "DefinitionError",
    "Example",
    "Problem",
    "choose_agent",
    "load_definition",
    "validate_file",
]
