"""The inbox at scale: `GET /api/v1/tasks` for a clerk with 1,000 and 100,000 open tasks.

    python -m bench.inbox [--sizes 1000,100000] [--samples N] [--skip-postgres] [--json]

Open tasks are written straight into the tables (one instance per 10 tasks, 20 roles); the
clerk holds one role (1 task in 20 offered to it) and has 1 task in 50 assigned by name, so
the inbox holds about 7 % of all open tasks. Timed through the Flask test client with the
clerk's bearer token (not an admin: the visibility rules apply): the first page, a deep page
(page 50), the page after a cursor taken from page 49, and one instance's tasks. Reported:
median and p95 per query and size, and the p95 ratio of the largest size to the smallest.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert

from bench.common import add_database_options, postgres_url, progress, sqlite_url, summary_ms
from service import create_app
from service.config import Settings
from service.engine.parser import SourceFile
from service.services import accounts, definitions
from service.services.organisations import DEFAULT_ORGANISATION_ID as ORGANISATION
from service.services.principal import Principal
from service.store import migrate
from service.store.models import InboxEntry, Instance, ProcessDefinition, Task, TaskGrant, role_holder

BPMN = "bench/loop.bpmn"
CLERK, PASSWORD, ROLE = "clerk", "bench-pass-123", "工作组"
ROLES = [ROLE] + [f"角色{n:02d}" for n in range(1, 20)]
SCHEMA = "bench_inbox"
DEEP_PAGE = 50


class InboxBench:
    def __init__(self, label: str, database_url: str) -> None:
        self.label = label
        self.app = create_app(Settings(database_url=database_url, scheduler_enabled=False))
        self.container = self.app.extensions["xuanpin"]
        migrate.upgrade(self.container.db)
        accounts.add_user(self.container.db, "admin", PASSWORD, [], is_admin=True)
        accounts.add_user(self.container.db, CLERK, PASSWORD, [ROLE])
        with open(BPMN, "rb") as source:
            definitions.deploy(
                self.container.db,
                Principal(username="admin", is_admin=True),
                [SourceFile("loop.bpmn", source.read())],
            )
        self.client = self.app.test_client()
        token = self.client.post("/api/v1/auth/token", json={"username": CLERK, "password": PASSWORD})
        assert token.status_code == 200, token.get_data(as_text=True)
        self.headers = {"Authorization": f"Bearer {token.get_json()['access_token']}"}
        self.count = 0
        self.instance_ids: list[str] = []

    def grow_to(self, size: int) -> None:
        """Add open tasks until there are `size`, in batches of 5,000."""
        with self.container.db.transaction() as session:
            definition = session.query(ProcessDefinition).first()
            assert definition is not None
            definition_id, key = definition.id, definition.key
        start = datetime(2026, 1, 5, tzinfo=UTC)
        while self.count < size:
            batch = min(5000, size - self.count)
            instances, tasks, grants, entries = [], [], [], []
            for n in range(self.count, self.count + batch):
                if n % 10 == 0:
                    instance_id = str(uuid.uuid4())
                    self.instance_ids.append(instance_id)
                    instances.append(
                        {
                            "id": instance_id,
                            "definition_id": definition_id,
                            "definition_key": key,
                            "definition_version": 1,
                            "status": "running",
                            "state": "{}",
                            "data": {},
                            "started_by": "admin",
                            "created_at": start,
                            "updated_at": start,
                            "lock_version": 1,
                            "organisation_id": ORGANISATION,
                        }
                    )
                task_id = str(uuid.uuid4())
                role = ROLES[n % len(ROLES)]
                tasks.append(
                    {
                        "id": task_id,
                        "instance_id": self.instance_ids[-1],
                        "definition_key": key,
                        "name": "Task",
                        "title": f"待办 {n}",
                        "role": role,
                        "assignee": CLERK if n % 50 == 7 else None,
                        "status": "open",
                        "created_at": start + timedelta(seconds=n),
                        "due_provisional": False,
                        "organisation_id": ORGANISATION,
                    }
                )
                grants.append(
                    {"task_id": task_id, "kind": "role", "value": role, "organisation_id": ORGANISATION}
                )
                # What the ORM keeps for each saved task (models._keep_inbox_entries).
                holder = f"user:{CLERK}" if tasks[-1]["assignee"] else role_holder(role, ORGANISATION)
                entries.append({"task_id": task_id, "holder": holder, "created_at": tasks[-1]["created_at"]})
            with self.container.db.transaction(write=True) as session:
                if instances:
                    session.execute(insert(Instance), instances)
                session.execute(insert(Task), tasks)
                session.execute(insert(TaskGrant), grants)
                session.execute(insert(InboxEntry), entries)
            self.count += batch
        with self.container.db.engine.begin() as connection:  # fresh planner statistics
            connection.exec_driver_sql("ANALYZE")

    def get(self, path: str) -> dict[str, Any]:
        response = self.client.get(path, headers=self.headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    def timed(self, path: str, samples: int) -> dict[str, float]:
        self.get(path)  # warm
        figures = []
        for _ in range(samples):
            t0 = time.perf_counter_ns()
            self.get(path)
            figures.append((time.perf_counter_ns() - t0) / 1e6)
        return summary_ms(figures)

    def measure(self, samples: int) -> dict[str, Any]:
        first = self.get("/api/v1/tasks?per_page=20")
        # The cursor half-way into the inbox, found the way a client walks it.
        page, cursor = first, None
        for _ in range(max(1, min(DEEP_PAGE - 1, first["total"] // 40))):
            cursor = page.get("next_cursor") or cursor
            if not page.get("next_cursor"):
                break
            page = self.get(f"/api/v1/tasks?per_page=20&after={cursor}")
        queries = {
            "first page": "/api/v1/tasks?per_page=20",
            f"page {DEEP_PAGE}": f"/api/v1/tasks?per_page=20&page={DEEP_PAGE}",
            "instance filter": f"/api/v1/tasks?instance_id={self.instance_ids[len(self.instance_ids) // 2]}",
        }
        if cursor:
            queries["after a cursor"] = f"/api/v1/tasks?per_page=20&after={cursor}"
        results = {name: self.timed(path, samples) for name, path in queries.items()}
        return {"inbox_total": first.get("total"), "queries": results}


def run(label: str, url: str, sizes: list[int], samples: int) -> dict[str, Any]:
    bench = InboxBench(label, url)
    figures: dict[str, Any] = {}
    try:
        for size in sizes:
            progress(f"{label}: {size:,} open tasks")
            bench.grow_to(size)
            figures[str(size)] = bench.measure(samples)
    finally:
        bench.container.db.dispose()
    return figures


def print_table(results: dict[str, dict[str, Any]], sizes: list[int]) -> None:
    for label, by_size in results.items():
        print(f"\n{label}: GET /api/v1/tasks as a clerk (ms)")
        print(
            f"  {'query':<18}"
            + "".join(f"{f'{s:,} median':>16}{'p95':>9}" for s in sizes)
            + f"{'p95 ratio':>12}"
        )
        names = list(by_size[str(sizes[0])]["queries"])
        for name in names:
            cells = []
            for size in sizes:
                figure = by_size[str(size)]["queries"].get(name, {})
                median, high = figure.get("median_ms", float("nan")), figure.get("p95_ms", float("nan"))
                cells.append(f"{median:>16.2f}{high:>9.2f}")
            small = by_size[str(sizes[0])]["queries"].get(name, {}).get("p95_ms")
            large = by_size[str(sizes[-1])]["queries"].get(name, {}).get("p95_ms")
            ratio = f"×{large / small:.2f}" if small and large else "—"
            print(f"  {name:<18}" + "".join(cells) + f"{ratio:>12}")
        totals = ", ".join(f"{s:,}: {by_size[str(s)]['inbox_total']}" for s in sizes)
        print(f"  inbox total reported — {totals}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--samples", type=int, default=200)
    add_database_options(parser, SCHEMA)
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    started = time.perf_counter()
    results: dict[str, Any] = {}
    with sqlite_url() as url:
        results["sqlite"] = run("sqlite", url, sizes, args.samples)
    if not args.skip_postgres:
        with postgres_url(args.postgres_url, SCHEMA) as url:
            results["postgresql"] = run("postgresql", url, sizes, args.samples)
    if args.json:
        json.dump(results, sys.stdout, ensure_ascii=False, indent=2)
    else:
        print_table(results, sizes)
        print(f"\ntotal wall time {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
