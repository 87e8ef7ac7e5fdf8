"""Task and start data: a dict with string keys of JSON values, within limits, checked first."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from .errors import DataInvalid
from .scripting import RESERVED

MAX_DEPTH = 32
MAX_KEY_LENGTH = 200
#: Integers beyond 64 bits overflow the databases' number types.
MAX_INT = 2**63 - 1
#: Control characters other than tab, newline and carriage return (a NUL breaks PostgreSQL).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
NO_CONTROL = "control characters (such as NUL) are not allowed"


def has_control_character(text: str) -> bool:
    """True if `text` holds a control character other than tab, newline or carriage return."""
    return CONTROL.search(text) is not None


def validate_data(data: Any, max_bytes: int) -> dict[str, Any]:
    """Return `data` if it is acceptable task data; otherwise raise DataInvalid naming the key."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise DataInvalid(f"task data must be an object (dict), not {type(data).__name__}")
    for key in data:
        if not isinstance(key, str):
            raise DataInvalid(f"keys must be strings, not {type(key).__name__} ({key!r})")
        if key.startswith("__") or key in RESERVED:
            raise DataInvalid("this name is reserved; use another field name", field=key)
        if not key or len(key) > MAX_KEY_LENGTH:
            raise DataInvalid(f"keys must be 1 to {MAX_KEY_LENGTH} characters", field=key[:40] or "(empty)")
        if CONTROL.search(key):
            raise DataInvalid(NO_CONTROL + " in field names", field=CONTROL.sub("?", key))
    # Walk iteratively: 10,000-deep nesting must be refused, not crash the checker.
    stack: list[tuple[Any, int, str]] = [(v, 1, k) for k, v in data.items()]
    while stack:
        value, depth, path = stack.pop()
        if depth > MAX_DEPTH:
            raise DataInvalid(f"nested more than {MAX_DEPTH} levels deep", field=path.split(".")[0])
        if value is None or isinstance(value, bool):
            continue
        if isinstance(value, int):
            if not -MAX_INT <= value <= MAX_INT:
                raise DataInvalid("integers must fit in 64 bits", field=path)
            continue
        if isinstance(value, str):
            if CONTROL.search(value):
                raise DataInvalid(NO_CONTROL, field=path)
            continue
        if isinstance(value, float):
            if not math.isfinite(value):
                raise DataInvalid("numbers must be finite (no NaN or infinity)", field=path)
            continue
        if isinstance(value, list):
            stack.extend((v, depth + 1, path) for v in value)
            continue
        if isinstance(value, dict):
            for k, v in value.items():
                if not isinstance(k, str) or CONTROL.search(k):
                    raise DataInvalid("nested keys must be strings without control characters", field=path)
                stack.append((v, depth + 1, f"{path}.{k}"))
            continue
        raise DataInvalid(f"{type(value).__name__} is not a JSON value", field=path)
    size = len(json.dumps(data, ensure_ascii=False).encode("utf-8"))
    if size > max_bytes:
        raise DataInvalid(f"task data is {size} bytes; the limit is {max_bytes}")
    return data
