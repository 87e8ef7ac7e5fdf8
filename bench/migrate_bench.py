"""Migration benchmark: move 10,000 running instances to a new version, 50 per transaction.

Printed beside it: the time to load and save the same instances without migrating, the
floor any migration pays. Target: at least 100 instances/s on SQLite.

Run: python bench/migrate_bench.py [--instances 10000] [--database-url URL]
Without --database-url it runs on a temporary SQLite file.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine import (  # noqa: E402
    Engine,
    FakeClock,
    persistence,  # noqa: E402
)
from engine.deployments import Deployments  # noqa: E402
from engine.models import Instance  # noqa: E402
from engine.transactions import Transactions  # noqa: E402
from tests.conftest import MONDAY  # noqa: E402
from tests.engine.test_migration import KEY, review  # noqa: E402

# Instances moved per transaction, as the designer's bulk move does (one progress step each).
BATCH = 50


def load_and_save(engine: Engine, ids: list[int]) -> float:
    """Seconds to load every instance's workflow and store it again, `BATCH` per transaction."""
    tx = Transactions(engine.sessionmaker)
    deployments = Deployments(tx, engine.clock)
    began = time.perf_counter()
    for start in range(0, len(ids), BATCH):
        with tx.write() as s:
            for instance_id in ids[start:start + BATCH]:
                inst = tx.instance(s, instance_id, lock=True)
                workflow = persistence.load_state(inst.state, inst.serializer_version,
                                                  deployments.specs(s, inst.deployment_id))
                inst.state = persistence.dump_state(workflow)
                inst.updated_at = engine.clock()
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=10_000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'migrate_bench.db'}"
        engine = Engine.open(url, clock=FakeClock(MONDAY))
        engine.deploy(review(), actor="designer")
        began = time.perf_counter()
        ids = [engine.start(KEY, {"n": n}, actor="clerk").id for n in range(args.instances)]
        print(f"started {len(ids)} instances on version 1 in {time.perf_counter() - began:.1f} s")
        engine.deploy(review(extra_step=True), actor="designer")

        baseline = load_and_save(engine, ids)
        print(f"load and save, no migration: {baseline:.1f} s ({len(ids) / baseline:.0f} instances/s)")

        began = time.perf_counter()
        pending = engine.designs.running_instances(KEY, 1)
        for start in range(0, len(pending), BATCH):
            engine.migrate_many(pending[start:start + BATCH], 2, actor="designer")
        elapsed = time.perf_counter() - began
        with engine.read_sessionmaker() as s:
            moved = s.scalar(select(func.count()).select_from(Instance).where(Instance.version == 2)) or 0
        print(f"migrate to version 2:        {elapsed:.1f} s ({moved / elapsed:.0f} instances/s, {moved} moved)")
        print(f"migration costs {elapsed / baseline:.1f}x load-and-save; target >= 100 instances/s: "
              f"{'met' if moved / elapsed >= 100 else 'NOT met'}")
        assert engine.verify_history().ok
        engine.close()


if __name__ == "__main__":
    main()
