"""What both benchmarks share: statistics, progress lines and throw-away databases."""

from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def summary_ms(samples_ms: list[float]) -> dict[str, float]:
    if not samples_ms:
        return {"n": 0}
    return {
        "n": len(samples_ms),
        "median_ms": statistics.median(samples_ms),
        "p95_ms": p95(samples_ms),
        "max_ms": max(samples_ms),
        "min_ms": min(samples_ms),
        "mean_ms": statistics.fmean(samples_ms),
    }


def progress(message: str) -> None:
    print(f"  … {message}", file=sys.stderr, flush=True)


@contextmanager
def sqlite_url(prefix: str = "xuanpin-bench-") -> Iterator[str]:
    directory = tempfile.mkdtemp(prefix=prefix)
    try:
        yield f"sqlite:///{Path(directory) / 'bench.sqlite3'}"
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def postgres_url(base: str, schema: str) -> Iterator[str]:
    """A dedicated schema, dropped and recreated at start and dropped at the end."""
    admin = create_engine(base)

    def reset(create: bool) -> None:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            if create:
                connection.execute(text(f"CREATE SCHEMA {schema}"))

    reset(create=True)
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        reset(create=False)
        admin.dispose()


DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def add_database_options(parser: argparse.ArgumentParser, schema: str) -> None:
    """--skip-postgres, --postgres-url and --json, the same for every benchmark."""
    parser.add_argument("--skip-postgres", action="store_true", help="SQLite (and the engine floor) only")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help=f"database for schema `{schema}` (env BENCH_POSTGRES_URL; default {DEFAULT_POSTGRES_URL})",
    )
    parser.add_argument(
        "--json", action="store_true", help="print machine-readable results instead of the table"
    )
