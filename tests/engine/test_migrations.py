"""engine/migrations: the migrated schema is exactly what the models say, on both databases."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext

from engine import Engine, FakeClock, chain
from engine.database import alembic_config
from engine.models import Base
from tests.conftest import DIAGRAMS, PROCESSES, EngineWith


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


def test_cases_saved_before_the_final_petitions_column_get_their_count(engine_with: EngineWith) -> None:
    engine = engine_with(PROCESSES / "risk_colour.dmn", PROCESSES / "petition_case.bpmn")
    counted = engine.start("petition_case", {}, actor="clerk").id
    plain = engine.start("petition_case", {}, actor="clerk").id
    db = engine.sessionmaker.kw["bind"]
    engine.close()
    _migrate(db, command.downgrade, "0013")
    with db.begin() as conn:  # the schema as revision 0012 left it
        conn.execute(sa.text("ALTER TABLE instance DROP COLUMN final_petitions"))
    _migrate(db, command.stamp, "0012")
    instance = sa.table("instance", sa.column("id", sa.Integer()), sa.column("data", sa.JSON()))
    with db.begin() as conn:
        data = conn.execute(sa.select(instance.c.data).where(instance.c.id == counted)).scalar_one()
        conn.execute(instance.update().where(instance.c.id == counted)
                     .values(data={**data, "final_petition_count": 2}))
    # To 0013 only: the later revisions' changes are in the schema already (it was made at head).
    _migrate(db, command.upgrade, "0013")
    with db.connect() as conn:
        found = dict(conn.execute(sa.text("SELECT id, final_petitions FROM instance")).all())
    assert found == {counted: 2, plain: 0}


def test_cases_sharing_a_business_key_before_0014_keep_it_on_the_first(engine_with: EngineWith) -> None:
    """0014 makes a business key unique per process; keys used twice before get "#id" on the later cases."""
    engine = engine_with(PROCESSES / "risk_colour.dmn", PROCESSES / "petition_case.bpmn")
    first = engine.start("petition_case", {}, actor="clerk", business_key="XF-1").id
    db = engine.sessionmaker.kw["bind"]
    engine.close()
    _migrate(db, command.downgrade, "0013")
    with db.begin() as conn:  # a second case with the same key, as 0013 allowed
        conn.execute(sa.text("INSERT INTO instance (deployment_id, process_key, version, business_key, status, data, "
                             "state, serializer_version, revision, started_at, started_by, updated_at, last_seq, "
                             "last_hash, final_petitions) SELECT deployment_id, process_key, version, business_key, "
                             "status, data, state, serializer_version, revision, started_at, started_by, "
                             "updated_at, last_seq, last_hash, final_petitions FROM instance"))
    _migrate(db, command.upgrade, "head")
    with db.connect() as conn:
        keys = dict(conn.execute(sa.text("SELECT id, business_key FROM instance")).all())
    second = max(keys)
    assert keys == {first: "XF-1", second: f"XF-1#{second}"}
def test_cases_saved_before_the_rate_columns_get_them(engine_with: EngineWith, clock: FakeClock) -> None:
    engine = engine_with(DIAGRAMS / "hand_case.bpmn")
    closed = engine.start("hand_case", {"finished": False, "case_closed_at": clock().isoformat(),
                                        "closed_by_procedure": True, "subject": "land",
                                        "case_leader": "lead1", "petitioning_stopped": True}, actor="clerk").id
    left_out = engine.start("hand_case", {"finished": False, "accept_decision": "not_accepted"}, actor="clerk").id
    db = engine.sessionmaker.kw["bind"]
    engine.close()
    _migrate(db, command.downgrade, "0013")  # the schema before the rate columns
    _migrate(db, command.upgrade, "head")
    with db.connect() as conn:
        rows = {r.id: r for r in conn.execute(sa.text(
            "SELECT id, closed_at, closed_by_procedure, subject, case_leader, stopped_at, counted FROM instance"))}
    assert rows[closed].closed_at is not None and rows[closed].stopped_at is not None
    assert bool(rows[closed].closed_by_procedure) and bool(rows[closed].counted)
    assert (rows[closed].subject, rows[closed].case_leader) == ("land", "lead1")
    assert rows[left_out].closed_at is None and not bool(rows[left_out].counted)
def test_format_2_history_verifies_after_the_format_3_migration_and_cases_chain_on(
        engine_with: EngineWith, monkeypatch: pytest.MonkeyPatch) -> None:
    """0018 adds the byte columns of history format 3 and drops the second instance_id index;
    the events stored before it are not touched, verify, and the case goes on in format 3."""
    monkeypatch.setattr(chain, "FORMAT", 2)
    engine = engine_with(PROCESSES / "risk_colour.dmn", PROCESSES / "petition_case.bpmn")
    iid = engine.start("petition_case", {}, actor="clerk").id
    db = engine.sessionmaker.kw["bind"]
    engine.close()
    with db.begin() as conn:  # the schema as revision 0016 left it
        before = conn.execute(sa.text("SELECT seq, hash, prev_hash, data_digest FROM event ORDER BY seq")).all()
        conn.execute(sa.text("ALTER TABLE event DROP COLUMN digest"))
        conn.execute(sa.text("ALTER TABLE event DROP COLUMN seal"))
        conn.execute(sa.text("CREATE INDEX ix_event_instance_id ON event (instance_id)"))
    _migrate(db, command.stamp, "0016")  # the revision 0018 follows
    _migrate(db, command.upgrade, "0018")
    _migrate(db, command.stamp, "head")  # what later revisions add is in the schema already
    monkeypatch.setattr(chain, "FORMAT", 3)
    with db.connect() as conn:
        assert conn.execute(sa.text("SELECT seq, hash, prev_hash, data_digest FROM event ORDER BY seq")).all() == before
        assert "ix_event_instance_id" not in {i["name"] for i in sa.inspect(conn).get_indexes("event")}
    again = Engine.open(db.url.render_as_string(hide_password=False))
    assert again.verify_history(iid).ok
    task = again.tasks(instance_id=iid)[0]
    again.accounts.scrypt_n = 2**4
    again.accounts.add_user("clerk", "clerk password 1", ["intake_clerk"])
    again.assign(task.id, "clerk", actor="clerk")
    with db.connect() as conn:
        formats = [f for (f,) in conn.execute(sa.text("SELECT format FROM event ORDER BY seq"))]
    assert formats[:len(before)] == [2] * len(before) and formats[len(before):] and set(formats[len(before):]) == {3}
    assert again.verify_history(iid).ok
    again.close()


def _migrate(db: sa.Engine, step: Callable[[Config, str], None], revision: str) -> None:
    """Run alembic on a connection of ours (closed afterwards), as `engine.database.migrate` does."""
    cfg = alembic_config(db)
    with db.begin() as conn:
        cfg.attributes["connection"] = conn
        step(cfg, revision)
