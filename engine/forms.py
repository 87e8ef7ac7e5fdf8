"""Task forms as the diagram declares them: which submitted values a form accepts."""

from __future__ import annotations

from typing import Any

from .errors import DataInvalid


def check_required(meta: dict[str, Any], data: dict[str, Any]) -> None:
    """Raise DataInvalid naming the first required field of the element's form left empty."""
    for f in meta.get("form") or []:
        if f.get("required") and data.get(f["id"]) in (None, "", []):
            raise DataInvalid("required", field=f["id"])
