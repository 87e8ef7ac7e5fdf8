"""The engine a command works on, opened from `--database-url` and closed when it is done."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager

from engine import Engine


@contextmanager
def opened_engine(args: argparse.Namespace) -> Iterator[Engine]:
    engine = Engine.open(args.database_url)
    try:
        yield engine
    finally:
        engine.close()
