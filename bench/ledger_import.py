"""Ledger import benchmark: check and import an .xlsx file of N petition cases (default 10,000).

Each case is started past its registration task through the engine's whole path (form checks,
history, task and timer indexes), 100 cases per transaction. Target (issue 16): 10,000 rows in
under 60 s. Printed: the time to build the file, to check every row, to import, cases per
second, and CPU seconds per case (which move less than wall-clock time on a shared machine).

Run: python bench/ledger_import.py [--rows 10000] [--postgres] [--database-url URL]
`bench/ledger_bench.py` calls `bench_import(engine, rows)`.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine import Engine, FakeClock, check_cases, import_cases  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
HEADERS = ["案件编号", "收到日期", "来源", "信访人", "信访人数", "诉求", "事项类别", "集体访", "重复信访次数"]
SUBJECTS = ["征地", "拆迁", "企业改制", "劳动和社会保障", "环境保护"]


@dataclass(frozen=True)
class ImportFigures:
    """What one benchmark run measured."""

    rows: int
    build_seconds: float
    check_seconds: float
    import_seconds: float
    cpu_seconds: float
    imported: int

    def lines(self) -> list[str]:
        rate = self.imported / self.import_seconds if self.import_seconds else 0.0
        return [f"rows: {self.rows}, imported: {self.imported}",
                f"build file: {self.build_seconds:.1f} s; check every row: {self.check_seconds:.1f} s",
                f"import: {self.import_seconds:.1f} s ({rate:.0f} cases/s), "
                f"CPU {1000 * self.cpu_seconds / max(1, self.imported):.1f} ms per case"]


def ledger_file(rows: int, start: int = 0) -> bytes:
    """An .xlsx ledger of `rows` distinct cases (write-only openpyxl)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("台账")
    sheet.append(HEADERS)
    for n in range(start, start + rows):
        sheet.append([f"BENCH-{n:07d}", "2026-02-20", "来访", f"信访人{n}", 1 + n % 7, "要求解决补偿问题",
                      SUBJECTS[n % len(SUBJECTS)], "是" if n % 7 >= 4 else "否", n % 4])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def bench_import(engine: Engine, rows: int = 10_000, *, start: int = 0) -> ImportFigures:
    """Build, check and import a file of `rows` cases into `engine` (petition_case deployed)."""
    began = time.perf_counter()
    body = ledger_file(rows, start)
    built = time.perf_counter()
    check = check_cases(engine, body)
    assert check.ok and len(check.good) == rows, check.problems[:5]
    checked = time.perf_counter()
    cpu = time.process_time()
    report = import_cases(engine, body, actor="bench")
    done = time.perf_counter()
    return ImportFigures(rows=rows, build_seconds=built - began, check_seconds=checked - built,
                         import_seconds=done - checked, cpu_seconds=time.process_time() - cpu,
                         imported=len(report.imported))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--postgres", action="store_true", help=f"on a scratch schema of {POSTGRES}")
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.postgres:
            from engine.database import scratch_database

            with scratch_database("postgresql", POSTGRES) as url:
                _run(url, args.rows)
        else:
            _run(args.database_url or f"sqlite:///{Path(tmp) / 'ledger_import.db'}", args.rows)


def _run(url: str, rows: int) -> None:
    from tests.conftest import MONDAY

    engine = Engine.open(url, clock=FakeClock(MONDAY))
    try:
        for name in ("risk_colour.dmn", "petition_case.bpmn"):
            engine.deploy(ROOT / "processes" / name, actor="designer")
        print(f"{engine.sessionmaker.kw['bind'].dialect.name}:")
        for line in bench_import(engine, rows).lines():
            print("  " + line)
    finally:
        engine.close()


if __name__ == "__main__":
    main()
