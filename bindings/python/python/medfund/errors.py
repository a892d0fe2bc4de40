"""The exceptions of medfund.

Every error carries the structured fields of the scenario contract's errors
(the same as ``medfund run --error-format json`` and the service's problem
details): ``code``, ``path`` (the field path, ``riskpool.units[0].revenue``),
``file``, ``line``, ``column``, ``value``, ``expected``; ``errors`` holds
every error found (one per failing section, at most 100) as dicts.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

__all__ = ["MedfundError", "InputError", "NotInForceError"]


class MedfundError(Exception):
    """A failure of medfund (the base of every medfund exception)."""

    errors: List[Dict[str, Any]]
    kind: Optional[str]
    code: Optional[str]
    path: Optional[str]
    file: Optional[str]
    line: Optional[int]
    column: Optional[int]
    value: Optional[str]
    expected: Optional[str]

    def __init__(self, message: str, errors: str = "[]") -> None:
        super().__init__(message)
        self.errors = json.loads(errors) if isinstance(errors, str) else list(errors)
        first: Dict[str, Any] = self.errors[0] if self.errors else {}
        self.kind = first.get("kind")
        self.code = first.get("code")
        self.path = first.get("path")
        self.file = first.get("file")
        self.line = first.get("line")
        self.column = first.get("column")
        self.value = first.get("value")
        self.expected = first.get("expected")


class InputError(MedfundError, ValueError):
    """The scenario (or a table given to a column kernel) is invalid."""


class NotInForceError(InputError):
    """A year, date or claim falls outside the validity of the policy that would apply."""


def input_error(path: str, message: str, expected: str) -> InputError:
    """An ``InputError`` found before anything reaches the library (a NaN in a dict, say)."""
    detail = {
        "kind": "input",
        "code": "invalid-value",
        "path": path,
        "expected": expected,
        "message": f"{message}; expected {expected}",
    }
    return InputError(f"{path}: {message}; expected {expected}", json.dumps([detail]))
