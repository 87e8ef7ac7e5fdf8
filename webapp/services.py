"""The app's handles on the engine facade, its accounts and its queries (no globals elsewhere)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from flask import current_app

if TYPE_CHECKING:
    from engine import Accounts, Engine, Queries, Settings

ENGINE_KEY = "anjie.engine"
SETTINGS_KEY = "anjie.settings"


def engine() -> Engine:
    """The engine facade this app was created with."""
    return cast("Engine", current_app.extensions[ENGINE_KEY])


def accounts() -> Accounts:
    """Users, groups, logins and tokens."""
    return engine().accounts


def queries() -> Queries:
    """Inbox and ledger reads."""
    return engine().queries


def settings() -> Settings:
    """The settings this app was created with."""
    return cast("Settings", current_app.extensions[SETTINGS_KEY])
