"""One place for configuration: a typed Settings loaded from ANJIE_* environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

PREFIX = "ANJIE_"


def default_database_url() -> str:
    return f"sqlite:///{Path('instance') / 'anjie.db'}"


@dataclass
class Settings:
    """Every setting of the product, with its default; `from_env()` reads ANJIE_<NAME>."""

    database_url: str = field(default_factory=default_database_url)
    secret_key: str | None = None
    timer_interval_seconds: float = 5.0
    script_timeout_seconds: float = 2.0
    max_data_bytes: int = 1_000_000
    upload_dir: str = "instance/uploads"
    max_upload_bytes: int = 20_000_000
    #: How long a web sign-in lasts without signing in again.
    session_lifetime_hours: float = 8.0
    #: Failed logins in a row before an account locks, and for how many minutes.
    login_max_failures: int = 5
    login_lock_minutes: float = 15.0
    #: A task due within this many days is "near due" in the inbox.
    near_due_days: float = 3.0
    #: How long the working-day calendar's local overrides are cached, in seconds.
    calendar_cache_seconds: float = 5.0
    #: Workflows kept deserialized in each process, most recently used first (0: none).
    workflow_cache_size: int = 512

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(PREFIX + f.name.upper())
            if raw is None:
                continue
            if f.type in ("float", float):
                values[f.name] = float(raw)
            elif f.type in ("int", int):
                values[f.name] = int(raw)
            else:
                values[f.name] = raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)
