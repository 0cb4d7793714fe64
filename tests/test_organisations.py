"""Organisations (issue 12): the tree, roles held in an organisation, cases belonging to one,
roles resolved from the case's organisation upwards, and everything a person or an OA token
reads or does confined to the organisations they are in.

Rule IDs proved here: X-01 (the inspector reads, within their organisations), X-03/X-05 across
enterprises (an enterprise never reads another's cases), FH-10 (per enterprise and in total)."""

from __future__ import annotations

import uuid

import pytest

from tests import bpmn
from tests import test_fenghua as fenghua
from tests.conftest import PASSWORD, assert_problem
from tests.test_fenghua import fh, fh_clock  # noqa: F401  (fixtures)

# 区国资管理中心 → 集团 → two enterprises; a second group with nobody in it yet.
TREE = [
    {"code": "t-qu", "name": "测试区国资管理中心", "kind": "区国资管理中心"},
    {"code": "t-jt", "name": "测试交投集团", "kind": "集团", "parent": "t-qu"},
    {"code": "t-qa", "name": "测试交投运输公司", "kind": "企业", "parent": "t-jt"},
    {"code": "t-qb", "name": "测试交投建设公司", "kind": "企业", "parent": "t-jt"},
    {"code": "t-ct", "name": "测试城投集团", "kind": "集团", "parent": "t-qu"},
]

CHAIN = bpmn.linear(
    "org_chain",
    bpmn.user("填报用工需求", 'camunda:candidateGroups="企业人事"'),
    bpmn.user("集团审核", 'camunda:candidateGroups="区属集团"'),
    bpmn.user("区国资中心备案", 'camunda:candidateGroups="区国资管理中心"'),
    name="逐级审核",
    attrs='camunda:candidateStarterGroups="企业人事"',
)


def _tree(api):
    for org in TREE:
        response = api.post("/api/v1/organisations", json=org)
        assert response.status_code == 201, response.json


def _person(api, *roles, organisation=None, admin=False, admin_organisation=None):
    """A new account (unique per test: accounts outlive a test) holding `roles`."""
    username = f"u{uuid.uuid4().hex[:10]}"
    body = {"username": username, "password": PASSWORD, "roles": list(roles), "admin": admin}
    if organisation:
        body["organisation"] = organisation
    if admin_organisation:
        body["admin_organisation"] = admin_organisation
    response = api.post("/api/v1/users", json=body)
    assert response.status_code == 201, response.json
    return username


def _inbox_titles(api, user):
    return sorted((t["title"], t["organisation"]) for t in api.inbox(user))


def _instance_ids(api, user, **query):
    response = api.get("/api/v1/instances", user=user, query_string=query)
    assert response.status_code == 200, response.json
    return {item["id"] for item in response.json["items"]}


def _do(api, user, title, instance_id):
    [task] = [t for t in api.inbox(user, instance_id=instance_id) if t["title"] == title]
    response = api.complete(task["id"], user)
    assert response.status_code == 200, response.json


@pytest.fixture()
def chain(api):
    _tree(api)
    response = api.deploy(("org_chain.bpmn", CHAIN))
    assert response.status_code == 201, response.json
    people = {
        "hr_a": _person(api, "企业人事@t-qa"),
        "hr_b": _person(api, "企业人事@t-qb"),
        "group": _person(api, "区属集团@t-jt"),
        "other_group": _person(api, "区属集团@t-ct"),
        "centre": _person(api, "区国资管理中心@t-qu"),
        "inspector_a": _person(api, "纪检监督@t-qa"),
        "inspector_district": _person(api, "纪检监督@t-qu*"),
    }
    cases = {}
    for who in ("hr_a", "hr_b"):
        started = api.start("org_chain", user=people[who])
        assert started.status_code == 201, started.json
        cases[who] = started.json
    return api, people, cases


def test_the_tree_is_kept_by_admins_with_clear_refusals(api):
    _tree(api)
    listed = api.get("/api/v1/organisations", user="renshi").json
    codes = [org["code"] for org in listed]
    assert codes.index("t-qu") < codes.index("t-jt") < codes.index("t-qa")  # parents first
    qa = next(org for org in listed if org["code"] == "t-qa")
    assert (qa["parent"], qa["depth"], qa["kind"]) == ("t-jt", 2, "企业")

    # A move carries the subtree: 交投集团 under 城投集团, its enterprises one level deeper.
    moved = api.client.patch(
        "/api/v1/organisations/t-jt", headers=api.headers("admin"), json={"parent": "t-ct"}
    )
    assert moved.status_code == 200, moved.json
    qa = next(org for org in api.get("/api/v1/organisations").json if org["code"] == "t-qa")
    assert qa["depth"] == 3

    refusals = [
        (api.post("/api/v1/organisations", user="renshi", json={"code": "x", "name": "某公司"}), 403),
        (api.post("/api/v1/organisations", json={"code": "t-qa", "name": "重名"}), 409),
        (api.post("/api/v1/organisations", json={"code": "t-x", "name": "某公司", "parent": "nope"}), 422),
        (api.post("/api/v1/organisations", json={"code": "a@b", "name": "某公司"}), 422),
        (api.post("/api/v1/organisations", json={"code": "t-y", "name": "某公司", "kind": "外星"}), 422),
        (
            api.client.patch(
                "/api/v1/organisations/t-qu", headers=api.headers("admin"), json={"parent": "t-qa"}
            ),
            422,
        ),
        (
            api.client.patch("/api/v1/organisations/nope", headers=api.headers("admin"), json={"name": "x"}),
            404,
        ),
    ]
    for response, status in refusals:
        assert_problem(response, status)


def test_each_enterprise_sees_and_works_only_on_its_own_cases(chain):
    api, people, cases = chain
    case_a, case_b = cases["hr_a"]["id"], cases["hr_b"]["id"]
    assert (cases["hr_a"]["organisation"], cases["hr_b"]["organisation"]) == ("t-qa", "t-qb")
    assert _inbox_titles(api, people["hr_a"]) == [("填报用工需求", "t-qa")]
    assert _inbox_titles(api, people["hr_b"]) == [("填报用工需求", "t-qb")]
    assert _instance_ids(api, people["hr_a"]) == {case_a}

    # The other enterprise's case does not exist for them: 404, never 403.
    assert_problem(api.get(f"/api/v1/instances/{case_a}", user=people["hr_b"]), 404)
    [task_a] = api.inbox(people["hr_a"])
    assert_problem(api.get(f"/api/v1/tasks/{task_a['id']}", user=people["hr_b"]), 404)
    assert_problem(api.complete(task_a["id"], people["hr_b"]), 404)
    assert_problem(api.get(f"/api/v1/instances/{case_a}/history", user=people["hr_b"]), 404)
    # Holding the role in the same group is not enough: the task went to enterprise A.
    assert _instance_ids(api, people["hr_b"]) == {case_b}

    _do(api, people["hr_a"], "填报用工需求", case_a)
    _do(api, people["hr_b"], "填报用工需求", case_b)
    # 区属集团 is resolved upwards: the group above both enterprises, not the other group.
    assert _inbox_titles(api, people["group"]) == [("集团审核", "t-qa"), ("集团审核", "t-qb")]
    assert _inbox_titles(api, people["other_group"]) == []
    assert_problem(api.get(f"/api/v1/instances/{case_a}", user=people["other_group"]), 404)
    assert api.inbox(people["centre"]) == []

    _do(api, people["group"], "集团审核", case_a)
    _do(api, people["group"], "集团审核", case_b)
    assert _inbox_titles(api, people["centre"]) == [("区国资中心备案", "t-qa"), ("区国资中心备案", "t-qb")]
    assert _instance_ids(api, people["centre"]) == {case_a, case_b}  # the district sees both

    # X-01 within organisations: an enterprise's inspector reads only that enterprise, the
    # district's inspector (with subordinates) every enterprise below; neither may act.
    assert _instance_ids(api, people["inspector_a"]) == {case_a}
    assert_problem(api.get(f"/api/v1/instances/{case_b}", user=people["inspector_a"]), 404)
    assert _instance_ids(api, people["inspector_district"]) == {case_a, case_b}
    assert api.get(f"/api/v1/instances/{case_b}", user=people["inspector_district"]).status_code == 200
    assert _instance_ids(api, people["inspector_district"], organisation="t-qb") == {case_b}
    [filing] = [t for t in api.inbox(people["centre"]) if t["instance_id"] == case_b]
    assert_problem(api.complete(filing["id"], people["inspector_district"]), 403)


def test_a_case_starts_only_where_the_starter_holds_the_role(chain):
    api, people, _ = chain
    refused = api.post(
        "/api/v1/instances", user=people["hr_a"], json={"definition_key": "org_chain", "organisation": "t-qb"}
    )
    assert "测试交投建设公司" in assert_problem(refused, 403)["detail"]
    unknown = api.post(
        "/api/v1/instances", user=people["hr_a"], json={"definition_key": "org_chain", "organisation": "nope"}
    )
    assert assert_problem(unknown, 422)["errors"]["organisation"]
    # Someone holding 企业人事 in both enterprises chooses; by default their own workplace.
    both = _person(api, "企业人事@t-qa", "企业人事@t-qb", organisation="t-qb")
    assert api.start("org_chain", user=both).json["organisation"] == "t-qb"
    chosen = api.post(
        "/api/v1/instances", user=both, json={"definition_key": "org_chain", "organisation": "t-qa"}
    )
    assert chosen.status_code == 201 and chosen.json["organisation"] == "t-qa"
    me = api.get("/api/v1/me", user=both).json
    assert me["grants"] == ["企业人事@t-qa", "企业人事@t-qb"] and me["organisation"] == "t-qb"


def test_a_role_with_nobody_on_the_path_waits_at_the_case_and_an_admin_sees_it(chain):
    api, people, _cases = chain
    # A third enterprise directly under the district: no 区属集团 anywhere above it.
    api.post("/api/v1/organisations", json={"code": "t-qc", "name": "测试直属公司", "parent": "t-qu"})
    hr_c = _person(api, "企业人事@t-qc")
    case_c = api.start("org_chain", user=hr_c).json["id"]
    _do(api, hr_c, "填报用工需求", case_c)
    [waiting] = [t for t in api.inbox("admin") if t["instance_id"] == case_c]
    assert (waiting["title"], waiting["organisation"]) == ("集团审核", "t-qc")
    assert [t for t in api.inbox(people["group"]) if t["instance_id"] == case_c] == []


def test_a_scoped_oa_token_cannot_read_or_act_outside_its_tree(chain):
    api, _people, cases = chain
    case_a, case_b = cases["hr_a"]["id"], cases["hr_b"]["id"]
    issued = api.post(
        "/api/v1/tokens",
        json={"name": f"oa-{uuid.uuid4().hex[:6]}", "roles": ["企业人事@t-qa"], "organisation": "t-qa"},
    )
    assert issued.status_code == 201, issued.json
    oa = {"Authorization": f"Bearer {issued.json['access_token']}"}
    listed = api.client.get("/api/v1/instances", headers=oa).json["items"]
    assert {item["id"] for item in listed} == {case_a}
    assert_problem(api.client.get(f"/api/v1/instances/{case_b}", headers=oa), 404)
    tasks = api.client.get("/api/v1/tasks", headers=oa).json["items"]
    assert [(t["title"], t["instance_id"]) for t in tasks] == [("填报用工需求", case_a)]
    done = api.client.post(f"/api/v1/tasks/{tasks[0]['id']}/complete", headers=oa, json={"data": {}})
    assert done.status_code == 200, done.json
    started = api.client.post(
        "/api/v1/instances", headers=oa, json={"definition_key": "org_chain", "organisation": "t-qb"}
    )
    assert_problem(started, 403)

    # An admin token scoped to enterprise A: admin there, a stranger to B.
    admin_token = api.post(
        "/api/v1/tokens", json={"name": f"oa-{uuid.uuid4().hex[:6]}", "admin": True, "organisation": "t-qa"}
    ).json["access_token"]
    scoped = {"Authorization": f"Bearer {admin_token}"}
    assert {i["id"] for i in api.client.get("/api/v1/instances", headers=scoped).json["items"]} == {case_a}
    assert_problem(api.client.get(f"/api/v1/instances/{case_b}", headers=scoped), 404)
    cancel_b = api.client.post(f"/api/v1/instances/{case_b}/cancel", headers=scoped, json={"reason": "越权"})
    assert_problem(cancel_b, 404)
    assert api.get(f"/api/v1/instances/{case_b}").json["status"] == "running"


def test_a_scoped_admin_places_people_only_inside_their_tree(chain):
    api, _people, cases = chain
    group_admin = _person(api, admin=True, admin_organisation="t-jt")
    inside = api.post(
        "/api/v1/users",
        user=group_admin,
        json={"username": f"u{uuid.uuid4().hex[:8]}", "password": PASSWORD, "roles": ["企业人事@t-qa"]},
    )
    assert inside.status_code == 201, inside.json
    outside = api.post(
        "/api/v1/users",
        user=group_admin,
        json={"username": f"u{uuid.uuid4().hex[:8]}", "password": PASSWORD, "roles": ["企业人事@t-ct"]},
    )
    assert "本机构及下属机构" in assert_problem(outside, 403)["detail"]
    global_admin = api.post(
        "/api/v1/users",
        user=group_admin,
        json={"username": f"u{uuid.uuid4().hex[:8]}", "password": PASSWORD, "admin": True},
    )
    assert_problem(global_admin, 403)
    # The group's admin sees the group's cases, not the district's other groups'.
    assert _instance_ids(api, group_admin) == {cases["hr_a"]["id"], cases["hr_b"]["id"]}


def test_reassigning_a_person_moves_their_reach(chain):
    api, people, _cases = chain
    changed = api.client.patch(
        f"/api/v1/users/{people['hr_b']}",
        headers=api.headers("admin"),
        json={"roles": ["企业人事@t-qa"], "organisation": "t-qa"},
    )
    assert changed.status_code == 200, changed.json
    assert (changed.json["grants"], changed.json["organisation"]) == (["企业人事@t-qa"], "t-qa")
    # Enterprise A's open task is now theirs to pick up; B's, resolved before, stays at B.
    assert _inbox_titles(api, people["hr_b"]) == [("填报用工需求", "t-qa")]
    bad = api.client.patch(
        f"/api/v1/users/{people['hr_b']}", headers=api.headers("admin"), json={"roles": ["企业人事@nope"]}
    )
    assert_problem(bad, 422)


def _place_fenghua_users_in_the_tree(api, enterprise):
    """The 奉化 test users keep their default-organisation roles and take the same role in the
    tree: 企业人事 in `enterprise`, 区属集团 at the group, the centre and the inspector at the
    district (the inspector over every enterprise below)."""
    for username, roles, home in (
        ("renshi", ["企业人事", f"企业人事@{enterprise}"], enterprise),
        ("jituan", ["区属集团", "区属集团@t-jt"], "t-jt"),
        ("guozi", ["区国资管理中心", "区国资管理中心@t-qu"], "t-qu"),
        ("jijian", ["纪检监督", "纪检监督@t-qu*"], "t-qu"),
        *((f"kaoguan{i}", ["考官", "考官@t-qu*"], "t-qu") for i in range(1, 4)),
    ):
        response = api.client.patch(
            f"/api/v1/users/{username}",
            headers=api.headers("admin"),
            json={"roles": roles, "organisation": home},
        )
        assert response.status_code == 200, response.json


def test_the_whole_fenghua_procedure_runs_in_the_tree_and_fh10_is_per_enterprise(fh, fh_clock):  # noqa: F811
    """FH-01…FH-09 end to end with every role resolved in the tree (the main path of
    test_fenghua, unchanged), once for each enterprise; FH-10 then reports each enterprise and
    the district total, and an enterprise's HR reads neither the other's case nor the report."""
    api = fh
    _tree(api)
    hr_b_watcher = _person(api, "企业人事@t-qb")
    for enterprise in ("t-qa", "t-qb"):
        _place_fenghua_users_in_the_tree(api, enterprise)
        fenghua.test_main_path_plan_to_hire_filing_and_archive(api)
    recruitments = api.get(
        "/api/v1/instances", user="guozi", query_string={"definition_key": fenghua.KEY}
    ).json["items"]
    assert sorted(item["organisation"] for item in recruitments) == ["t-qa", "t-qb"]
    case_a = next(item["id"] for item in recruitments if item["organisation"] == "t-qa")
    assert_problem(api.get(f"/api/v1/instances/{case_a}", user=hr_b_watcher), 404)

    report = api.get("/api/v1/reports/fenghua/bachelor-share", user="guozi", query_string={"year": 2026}).json
    assert (report["recruitments"], report["total"], report["full_time_bachelor_or_higher"]) == (2, 2, 2)
    assert [
        (row["organisation"], row["recruitments"], row["total"]) for row in report["by_organisation"]
    ] == [
        ("t-qa", 1, 1),
        ("t-qb", 1, 1),
    ]
    assert_problem(
        api.get("/api/v1/reports/fenghua/bachelor-share", user=hr_b_watcher, query_string={"year": 2026}), 403
    )


def test_work_is_passed_on_and_copied_only_within_the_organisation_it_went_to(chain):
    api, people, cases = chain
    case_a = cases["hr_a"]["id"]
    [task] = api.inbox(people["hr_a"])
    elsewhere = api.post(
        f"/api/v1/tasks/{task['id']}/transfer", user=people["hr_a"], json={"to_user": people["hr_b"]}
    )
    assert "测试交投运输公司" in assert_problem(elsewhere, 422)["detail"]
    colleague = _person(api, "企业人事@t-qa")
    moved = api.post(f"/api/v1/tasks/{task['id']}/transfer", user=people["hr_a"], json={"to_user": colleague})
    assert moved.status_code == 200, moved.json
    # 抄送 to a role reaches its people where the case's steps of that role go: the group
    # above enterprise A, not the other group.
    copied = api.post(f"/api/v1/tasks/{task['id']}/cc", user=colleague, json={"roles": ["区属集团"]})
    assert copied.status_code == 200, copied.json
    assert len(api.get("/api/v1/cc", user=people["group"]).json["items"]) == 1
    assert api.get("/api/v1/cc", user=people["other_group"]).json["items"] == []
    # 催办 by a deciding role only where the case went: B's HR may not chase A's case.
    refused = api.post(f"/api/v1/tasks/{task['id']}/urge", user=people["hr_b"], json={"message": "请尽快"})
    assert_problem(refused, 404)
    assert api.get(f"/api/v1/instances/{case_a}", user=people["group"]).status_code == 200
