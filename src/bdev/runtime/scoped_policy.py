"""The permission policy of one agent: the run's policy plus its definition's limits.

A definition's `tools: Bash(git:*)` means Bash limited to those rules. The base policy
holds them as allow rules (so they are not asked about); this subclass refuses any
call of a limited tool that no rule of its own matches, before the base policy decides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bdev.tools.base import Tool
from bdev.tools.policy import Decision, PermissionMode, Policy


@dataclass
class ScopedPolicy(Policy):
    limited: dict[str, list[str]] = field(default_factory=dict)  # tool -> its only rules

    def __post_init__(self) -> None:
        super().__post_init__()
        # A non-interactive default-mode policy allows exactly what its rules match
        # (asking turns into denying), for the tools that have rules (Bash, edits).
        self._gates = {
            tool: Policy(mode=PermissionMode.DEFAULT, allow=rules, workspace=self.workspace)
            for tool, rules in self.limited.items()
        }

    def check(self, tool: Tool, args: dict[str, Any]) -> Decision:
        gate = self._gates.get(tool.name)
        if gate is not None and gate.check(tool, args).action != "allow":
            rules = ", ".join(self.limited[tool.name])
            return Decision("deny", f"this agent's {tool.name} is limited to {rules}")
        return super().check(tool, args)
