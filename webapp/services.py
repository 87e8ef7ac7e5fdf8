"""The app's handles on the engine facade, its accounts and its queries (no globals elsewhere)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from flask import current_app

if TYPE_CHECKING:
    from engine import Accounts, Engine, Queries, Settings

ENGINE_KEY = "anjie.engine"
SETTINGS_KEY = "anjie.settings"
DIAGRAMS_KEY = "anjie.diagrams"
#: Diagram sources kept per app; a deployed version never changes, so they never go stale.
DIAGRAMS_KEPT = 64


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


def diagram_xml(process_key: str, version: int) -> bytes:
    """The source of a deployed process version, read from the database once per app (the case
    and task pages show it on every request). ProcessNotFound for a version never deployed."""
    kept = cast("dict[tuple[str, int], bytes]", current_app.extensions.setdefault(DIAGRAMS_KEY, {}))
    xml = kept.get((process_key, version))
    if xml is None:
        xml = engine().diagram_xml(process_key, version)
        if len(kept) >= DIAGRAMS_KEPT:
            kept.clear()
        kept[(process_key, version)] = xml
    return xml
