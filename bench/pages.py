"""How long the web workspace's pages take over real HTTP with the demo data (issue 13: "no page
over ~1 s on this machine with the demo data").

A real `xuanpin serve` on a throw-away SQLite database gets the demo (`xuanpin demo`) and a
揭榜挂帅 call driven to its registration step with one application (the same case as
`make screenshots`); each page is fetched by a signed-in user of the role it is for, the
timing taken from request to the last byte of the HTML (the browser's static files are cached
after the first view and are not counted). Prints median, p95 and max per page.

    .venv/bin/python -m bench.pages [--samples 30] [--workers 2] [--json]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from typing import Any

import httpx

from bench.common import progress, summary_ms
from service.demo import DEMO_PASSWORD
from service.timeutil import SHANGHAI, utcnow
from service.web.screenshots import Demo, demo_server, prepare

BUDGET_MS = 1000.0


def signed_in(base: str, user: str | None) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30, follow_redirects=True)
    if user is not None:
        form = client.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token, "the login page has no CSRF token"
        answer = client.post(
            "/login", data={"csrf_token": token.group(1), "username": user, "password": DEMO_PASSWORD}
        )
        assert "退出" in answer.text, f"{user} could not sign in"
    return client


def pages(demo: Demo, case_id: str) -> list[tuple[str, str | None, str]]:
    """(page name, user, path) — the main pages, each by a user of its role."""
    clerk = "dangweigongzuobu"
    [task] = [t for t in demo.call("GET", "/api/v1/tasks", clerk)["items"] if t["title"] == "登记揭榜申请"]
    year = utcnow().astimezone(SHANGHAI).year
    return [
        ("登录", None, "/login"),
        ("我的待办", clerk, "/inbox"),
        ("办理：登记揭榜申请（含家庭成员表、附件）", clerk, f"/tasks/{task['id']}"),
        ("案件页（流程图、时间线、数据）", clerk, f"/cases/{case_id}"),
        ("案件列表", clerk, "/cases"),
        ("发起流程", "gongzuozu", "/start"),
        ("抄送我的", clerk, "/cc"),
        ("流程图数据（JSON）", clerk, f"/cases/{case_id}/diagram.json"),
        ("纪检监督：案件页", "jijian", f"/cases/{case_id}"),
        ("公告栏（无需登录）", None, "/gongshi"),
        ("网上报名", "shenqingren", f"/apply/{case_id}"),
        ("我的申请", "shenqingren", "/me/applications"),
        ("管理：工作日历", "admin", f"/admin/calendar?year={year}"),
        ("管理：用户与角色", "admin", "/admin/users"),
        ("管理：出错的案件", "admin", "/admin/errors"),
    ]


def measure(base: str, plan: list[tuple[str, str | None, str]], samples: int) -> list[dict[str, Any]]:
    clients: dict[str | None, httpx.Client] = {}
    rows = []
    for name, user, path in plan:
        if user not in clients:
            clients[user] = signed_in(base, user)
        client = clients[user]
        first = client.get(path)
        assert first.status_code == 200, (path, first.status_code, first.text[:300])
        timings = []
        for _ in range(samples):
            started = time.perf_counter()
            answer = client.get(path)
            timings.append((time.perf_counter() - started) * 1000)
            assert answer.status_code == 200
        rows.append({"page": name, "user": user or "（未登录）", "path": path, **summary_ms(timings)})
        progress(f"{name}: median {rows[-1]['median_ms']:.1f} ms")
    for client in clients.values():
        client.close()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pages", description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2, help="workers of xuanpin serve")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with demo_server(workers=args.workers) as base:
        demo = Demo(base)
        case_id = prepare(demo)
        rows = measure(base, pages(demo, case_id), args.samples)
    if args.json:
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=2)
        return 0
    print("| page | user | median ms | p95 ms | max ms |\n|---|---|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['page']} | {row['user']} | {row['median_ms']:.1f} | {row['p95_ms']:.1f} "
            f"| {row['max_ms']:.1f} |"
        )
    slowest = max(rows, key=lambda row: row["p95_ms"])
    verdict = "met" if slowest["p95_ms"] <= BUDGET_MS else "NOT met"
    print(
        f"\nslowest p95: {slowest['page']} {slowest['p95_ms']:.1f} ms — budget {BUDGET_MS:.0f} ms {verdict}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
