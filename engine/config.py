"""One place for configuration: a typed Settings loaded from ANJIE_* environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

PREFIX = "ANJIE_"


#: The installation's instance folder (beside engine/): database, uploads and secret key.
INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"


def default_database_url() -> str:
    return f"sqlite:///{INSTANCE_DIR / 'anjie.db'}"


@dataclass
class Settings:
    """Every setting of the product, with its default; `from_env()` reads ANJIE_<NAME>."""

    database_url: str = field(default_factory=default_database_url)
    secret_key: str | None = None
    #: The instance folder; relative folders below are resolved against it, once, to absolute
    #: paths, so the working directory never matters. Empty: the installation's `instance/`.
    instance_dir: str = ""
    timer_interval_seconds: float = 5.0
    script_timeout_seconds: float = 2.0
    max_data_bytes: int = 1_000_000
    upload_dir: str = "uploads"
    max_upload_bytes: int = 20_000_000
    #: How long a web sign-in lasts without signing in again.
    session_lifetime_hours: float = 8.0
    #: Mark the session cookie `Secure` (set it when the app is served over HTTPS).
    session_cookie_secure: bool = False
    #: Reverse proxies in front of the app that set X-Forwarded-For/-Proto (0: none, and the
    #: client address, which login throttling goes by, is the connection's).
    proxy_hops: int = 0
    #: Failed logins in a row (per client address and user name) before each further attempt
    #: must wait, the first wait in seconds (doubling with every failure) and its cap in minutes.
    login_max_failures: int = 5
    login_delay_seconds: float = 1.0
    login_lock_minutes: float = 15.0
    #: Largest API request body, in bytes (checked before the body is read).
    max_api_body_bytes: int = 6_000_000
    #: Days an API token lasts after it is made.
    token_days: float = 90.0
    #: A task due within this many days is "near due" in the inbox.
    near_due_days: float = 3.0
    #: How long the working-day calendar's local overrides are cached, in seconds.
    calendar_cache_seconds: float = 5.0
    #: Workflows kept deserialized in each process, most recently used first (0: none).
    workflow_cache_size: int = 512
    #: The Ed25519 private key that signs history checkpoints (`anjie checkpoint keygen`):
    #: never in the database or the repository; in production on another machine or a token.
    #: Empty: `checkpoint_key.pem` in the instance folder.
    checkpoint_key_file: str = ""
    #: Where signed checkpoints are also written (the auditor's copy; a WORM location in production).
    checkpoint_dir: str = "checkpoints"
    #: Hours between the scheduler's checkpoints (0: only on demand).
    checkpoint_hours: float = 24.0
    #: The SMTP server reminders are mailed through (empty: reminders stay in the app).
    smtp_host: str = ""
    smtp_port: int = 25
    #: Sign in to the server (empty: no login) and upgrade the connection with STARTTLS.
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    #: The sender of reminder mails.
    smtp_from: str = "anjie@localhost"
    smtp_timeout_seconds: float = 10.0
    #: Minutes between the scheduler's scans for near-due and overdue work to remind (0: never).
    reminder_scan_minutes: float = 10.0
    #: The office named at the foot of generated notices (落款) unless a template says otherwise.
    office_name: str = "信访工作办公室"

    def __post_init__(self) -> None:
        instance = Path(self.instance_dir).expanduser() if self.instance_dir else INSTANCE_DIR
        self.instance_dir = str(instance.resolve())
        self.upload_dir = str((Path(self.instance_dir) / Path(self.upload_dir).expanduser()).resolve())
        self.checkpoint_dir = str((Path(self.instance_dir) / Path(self.checkpoint_dir).expanduser()).resolve())
        key = Path(self.checkpoint_key_file).expanduser() if self.checkpoint_key_file else Path("checkpoint_key.pem")
        self.checkpoint_key_file = str((Path(self.instance_dir) / key).resolve())

    @property
    def secret_key_file(self) -> Path:
        """Where the generated SECRET_KEY is kept when none is set (never committed)."""
        return Path(self.instance_dir) / "secret_key"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(PREFIX + f.name.upper())
            if raw is None:
                continue
            if f.type in ("bool", bool):
                values[f.name] = raw.strip().lower() in ("1", "true", "yes", "on")
            elif f.type in ("float", float):
                values[f.name] = float(raw)
            elif f.type in ("int", int):
                values[f.name] = int(raw)
            else:
                values[f.name] = raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)
