"""The one JSON loader for everything a client sends: bodies, the actor header, ``/demo/sign``.

Python's :func:`json.loads` lets the last of two equal keys win, so
``{"roles": ["student"], "roles": ["admin"]}`` would read as an admin while another
parser (a proxy, a log reader, PHP) may see a student. Here a repeated key is refused,
through ``object_pairs_hook``, the standard library's hook for it. Nesting deeper than
Python's parser can follow (``[[[[...]]]]`` 50,000 deep) is refused too, rather than
escaping as a ``RecursionError`` (a 500).
"""

from __future__ import annotations

import json
from typing import Any


class DuplicateKey(ValueError):
    """A JSON object names the same key twice."""


class TooDeep(ValueError):
    """JSON nested deeper than the parser can follow."""


def _unique_pairs(pairs: list[tuple[str, object]]) -> dict[str, object]:
    seen: dict[str, object] = {}
    for key, value in pairs:
        if key in seen:
            raise DuplicateKey(f"the key {key[:64]!r} appears more than once in one object")
        seen[key] = value
    return seen


def loads(text: str | bytes) -> Any:
    """Parse JSON; raise ValueError for invalid JSON, a repeated key or nesting too deep to parse."""
    try:
        return json.loads(text, object_pairs_hook=_unique_pairs)
    except RecursionError:
        raise TooDeep("the JSON is nested too deeply") from None
