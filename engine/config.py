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
    test_postgres_url: str = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

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
