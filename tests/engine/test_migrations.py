"""engine/migrations: the migrated schema is exactly what the models say, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from engine import Engine
from engine.models import Base
from tests.conftest import EngineWith


def test_migrations_produce_the_models_schema(engine_with: EngineWith) -> None:
    engine = engine_with()
    with engine.sessionmaker.kw["bind"].connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_opening_twice_migrates_once(db_url: str) -> None:
    first = Engine.open(db_url)
    first.close()
    second = Engine.open(db_url)  # already at head: nothing to do, nothing breaks
    assert second.deployments() == []
    second.close()
