"""X-03: a candidate sees only their own application and their own scores.

Candidates log in with accounts an administrator linked to their ID number; what they see is
read from the instances through each process's declaration (xuanpin:applications / results /
hiddenFields), never anybody else's entry.
"""

from __future__ import annotations

from typing import Any

import pytest
import time_machine

from service.domain.declarations import parse_declarations
from service.domain.own_records import OwnRecordsSpec, Source, normalise_id_number, own_records, parse_spec
from tests import test_fenghua as fh_flow
from tests import test_jiebang as jb_flow
from tests import test_kaifaqu as kf_flow
from tests import test_shengshu as ss_flow
from tests.bpmn import linear, user
from tests.conftest import CANDIDATE_ID_NUMBERS, assert_problem

# --- the pure extraction (service/domain/own_records.py) ---------------------------------

SPEC = OwnRecordsSpec(
    applications=(Source("baoming", "报名"),),
    results=(Source("chengji", "成绩"), Source("paiming", "排名")),
    hidden_fields=frozenset({"huibi_pingwei"}),
)
ZHANG_ID = "21050219850612001X"
LI_ID = "210502198506120027"


def test_x03_each_candidate_gets_only_records_with_their_id_number_or_name():
    data = {
        "baoming": [
            {"xingming": "张三", "shenfenzheng_hao": ZHANG_ID.lower(), "shouli": True},
            {"xingming": "李四", "shenfenzheng_hao": LI_ID, "shouli": False, "liyou": "工作经历不满 5 年"},
        ],
        # keyed by name (as JB's score sheets are), with a hidden field
        "chengji": [
            {"xingming": "张三", "defen": 86.5, "huibi_pingwei": ["pingwei2"]},
            {"xingming": "李四", "defen": 70},
        ],
        # nested: a ranking per post, keyed by ID number
        "paiming": {
            "副局长": [{"shenfenzheng_hao": LI_ID, "mingci": 1}, {"shenfenzheng_hao": ZHANG_ID, "mingci": 2}]
        },
    }
    views = own_records(data, SPEC)
    assert set(views) == {ZHANG_ID, LI_ID}
    zhang = views[ZHANG_ID]
    assert zhang["name"] == "张三"
    assert zhang["applications"] == [
        {
            "label": "报名",
            "record": {"xingming": "张三", "shenfenzheng_hao": ZHANG_ID.lower(), "shouli": True},
        }
    ]
    assert zhang["results"] == [
        {"label": "成绩", "records": [{"xingming": "张三", "defen": 86.5}]},  # huibi_pingwei removed
        {"label": "排名", "records": [{"shenfenzheng_hao": ZHANG_ID, "mingci": 2}]},
    ]
    assert views[LI_ID]["applications"][0]["record"]["liyou"] == "工作经历不满 5 年"
    assert "张三" not in str(views[LI_ID])


def test_x03_a_name_shared_by_two_applicants_matches_no_name_keyed_record():
    data = {
        "baoming": [
            {"xingming": "王伟", "shenfenzheng_hao": ZHANG_ID},
            {"xingming": "王伟", "shenfenzheng_hao": LI_ID},
        ],
        "chengji": [{"xingming": "王伟", "defen": 90}, {"xingming": "王伟", "defen": 60}],
        "paiming": [{"shenfenzheng_hao": LI_ID, "mingci": 1}],
    }
    views = own_records(data, SPEC)
    assert views[ZHANG_ID]["results"] == []
    assert views[LI_ID]["results"] == [
        {"label": "排名", "records": [{"shenfenzheng_hao": LI_ID, "mingci": 1}]}
    ]


def test_x03_a_namesake_without_a_valid_id_number_still_blocks_matching_by_name():
    data = {
        "baoming": [
            {"xingming": "王伟", "shenfenzheng_hao": ZHANG_ID},
            {"xingming": "王伟", "shenfenzheng_hao": "2105021985061"},  # mistyped: nobody's account
        ],
        "chengji": [{"xingming": "王伟", "defen": 90}, {"xingming": "王伟", "defen": 10}],
    }
    assert own_records(data, SPEC)[ZHANG_ID]["results"] == []


def test_x03_a_result_record_never_carries_someone_else_nested_in_it():
    data = {
        "baoming": [
            {
                "xingming": "张三",
                "shenfenzheng_hao": ZHANG_ID,
                "jiating_chengyuan": [{"chengwei": "妻子", "xingming": "刘丽"}],  # the applicant's own form
            },
            {"xingming": "李四", "shenfenzheng_hao": LI_ID},
        ],
        "chengji": [
            {
                "xingming": "张三",
                "defen": 88,
                "tongzu": [{"xingming": "李四", "defen": 70}, {"shenfenzheng_hao": LI_ID, "mingci": 1}],
                "duishou": {"xingming": "李四", "defen": 70},
            }
        ],
    }
    zhang = own_records(data, SPEC)[ZHANG_ID]
    assert zhang["applications"][0]["record"]["jiating_chengyuan"] == [
        {"chengwei": "妻子", "xingming": "刘丽"}
    ]
    assert zhang["results"] == [
        {"label": "成绩", "records": [{"xingming": "张三", "defen": 88, "tongzu": []}]}
    ]


def test_records_without_a_valid_id_number_are_nobodys_and_missing_variables_are_fine():
    data = {"baoming": [{"xingming": "赵六", "shenfenzheng_hao": "123"}, {"xingming": "钱七"}, "文本"]}
    assert own_records(data, SPEC) == {}
    assert own_records({}, SPEC) == {}
    assert normalise_id_number(" 21050219850612001x ") == ZHANG_ID
    assert normalise_id_number("01050219850612001X") is None
    assert normalise_id_number(None) is None


def test_declaration_is_read_from_extension_properties():
    spec = parse_spec(
        {
            "xuanpin:applications": "shenqing_list:揭榜申请",
            "xuanpin:results": "mianshi_chengji:面试成绩，dierlun_jilu",
            "xuanpin:hiddenFields": "huibi_pingwei, pingwei",
        }
    )
    assert spec is not None
    assert spec.applications == (Source("shenqing_list", "揭榜申请"),)
    assert spec.results == (Source("mianshi_chengji", "面试成绩"), Source("dierlun_jilu", "dierlun_jilu"))
    assert spec.hidden_fields == {"huibi_pingwei", "pingwei"}
    assert OwnRecordsSpec.from_json(spec.as_json()) == spec
    assert parse_spec({}) is None
    with pytest.raises(ValueError, match="不是变量名"):
        parse_spec({"xuanpin:applications": "报名-名单:报名"})
    with pytest.raises(ValueError, match="缺少 xuanpin:applications"):
        parse_spec({"xuanpin:results": "chengji:成绩"})
    with pytest.raises(ValueError, match="xuanpin:result"):  # a misspelt key is refused
        parse_declarations({"xuanpin:applications": "baoming", "xuanpin:result": "chengji"})
    labelled = parse_spec(
        {"xuanpin:applications": "baoming：报名 登记表", "xuanpin:results": "cj:笔试、面试成绩"}
    )
    assert labelled is not None
    assert (labelled.applications[0].label, labelled.results[0].label) == ("报名 登记表", "笔试、面试成绩")


def test_deploy_refuses_a_malformed_declaration_with_its_location(api):
    xml = linear("shenqing_ceshi", user("登记"), properties={"xuanpin:applications": "1baoming:报名"})
    response = api.deploy(("shenqing_ceshi.bpmn", xml))
    problem = assert_problem(response, 422)
    assert "1baoming" in problem["detail"] and "shenqing_ceshi.bpmn" in problem["detail"]


# --- through the API, per procedure ------------------------------------------------------

# The procedures' deployment fixtures (and KF's clock), shared with their own test modules.
kf = kf_flow.kf
clock = kf_flow.clock
ss = ss_flow.ss
fh = fh_flow.fh
fh_clock = fh_flow.fh_clock


def mine(api, user: str) -> list[dict[str, Any]]:
    response = api.get("/api/v1/me/applications", user)
    assert response.status_code == 200, response.json
    return response.json["items"]


def results(item: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    return {group["label"]: group["records"] for group in item["results"]}


def test_x03_jb_applicant_sees_own_application_and_interview_scores_only(api):
    scores = {f"pingwei{i}": {"张建国": 92, "李明华": 85, "王志强": 78} for i in range(1, 6)}
    with time_machine.travel(jb_flow.at("2026-03-02"), tick=False) as traveller:
        instance_id = jb_flow.start_to_interview(api, traveller)
        [before] = mine(api, "jiebangren1")
        assert before["results"] == []  # registered, not yet interviewed
        jb_flow.interview(api, scores, huibi={"pingwei5": ("张建国",)})

    [item] = mine(api, "jiebangren1")
    assert (item["instance_id"], item["definition_name"], item["person_name"]) == (
        instance_id,
        "揭榜挂帅",
        "张建国",
    )
    [application] = item["applications"]
    assert application["label"] == "揭榜申请"
    assert (application["record"]["xingming"], application["record"]["shouli"]) == ("张建国", True)
    [interview] = results(item)["面试成绩"]
    assert (interview["xingming"], interview["defen"]) == ("张建国", 92)
    assert "huibi_pingwei" not in interview  # who declared a conflict is not the candidate's business
    assert len(interview["yanjiang"]) == 4  # pingwei5 withdrew
    assert "李明华" not in str(item) and "王志强" not in str(item)

    [other] = mine(api, "jiebangren2")
    assert other["person_name"] == "李明华"
    assert [r["defen"] for r in results(other)["面试成绩"]] == [85]
    assert "张建国" not in str(other)

    # The candidate reads nothing of the instance itself: neither its data nor its tasks.
    assert api.get(f"/api/v1/instances/{instance_id}", "jiebangren1").status_code in (403, 404)
    assert (
        api.get(f"/api/v1/tasks?instance_id={instance_id}&status=completed", "jiebangren1").json["total"] == 0
    )


def test_x03_unlinked_account_is_told_how_to_get_linked(api):
    problem = assert_problem(api.get("/api/v1/me/applications", "jiebangren3"), 403)
    assert "身份证号" in problem["detail"]
    me = api.get("/api/v1/me", "jiebangren3").json
    assert (me["username"], me["roles"], me["id_number_linked"]) == ("jiebangren3", ["揭榜人"], False)
    assert api.get("/api/v1/me", "jiebangren1").json["id_number_linked"] is True
    assert_problem(api.get("/api/v1/me/applications", None), 401)


def test_x03_kf_candidate_sees_own_interview_score_and_ranking(kf, clock):
    api = kf
    iid = kf_flow._to_interview(api)
    judges = [f"pingwei{i}" for i in range(1, 6)]
    wang = kf_flow._key(kf_flow.WANG, kf_flow.FUGUANZHANG)
    zhao = kf_flow._key(kf_flow.ZHAO, kf_flow.GONGZUO)
    kf_flow._interview(api, iid, judges, {wang: [90, 70, 80, 85, 75], zhao: [66, 70, 72, 68, None]})
    kf_flow._confirm_scores(api, iid, [wang, zhao])

    [item] = mine(api, "jingpin1")
    assert item["applications"][0]["record"]["baokao_gangwei"] == [kf_flow.FUGUANZHANG]
    [score] = results(item)["面试成绩"]
    assert (score["xingming"], score["mianshi_defen"]) == ("王晓东", 80.0)  # KF-07 trimmed mean
    [ranked] = results(item)["成绩排名"]
    assert ranked["shenfenzheng_hao"] == CANDIDATE_ID_NUMBERS["jingpin1"]
    assert "赵静" not in str(item)
    [other] = mine(api, "jingpin2")
    [score] = results(other)["面试成绩"]
    assert "huibi_pingwei" not in score and len(score["pingwei_defen"]) == 4
    assert "王晓东" not in str(other)


def test_x03_ss_candidate_sees_own_assessment_keyed_by_name(ss):
    api = ss
    instance_id = ss_flow._to_proposal(api)
    [item] = mine(api, "houxuanren1")
    assert (item["instance_id"], item["person_name"]) == (instance_id, "张伟")
    assert item["applications"][0]["record"]["zige_shencha"] == "通过"
    [assessment] = results(item)["综合考评"]
    assert assessment["xingming"] == "张伟"
    assert "李娜" not in str(item) and "王强" not in str(item)
    assert [r["xingming"] for r in results(mine(api, "houxuanren2")[0])["综合考评"]] == ["李娜"]


def test_x03_an_application_taken_off_the_list_disappears_from_the_candidates_view(ss):
    """SS-04 extension of the registration: the re-submitted list no longer carries 李娜, so she
    no longer sees an application there, while 张伟 still does."""
    api = ss
    ss_flow._to_recruitment(api)
    ss_flow._complete(api, ss_flow.DONGSHIHUI, "报名登记与资格审查", houxuanren=[ss_flow.LI, ss_flow.WANG])
    assert [i["person_name"] for i in mine(api, "houxuanren2")] == ["李娜"]
    ss_flow._complete(
        api, ss_flow.DONGSHIHUI, "差额不足处理", chae_chuli="延长招聘", chae_shuoming="延长报名期限。"
    )
    zhao = dict(ss_flow.LI, xingming="赵刚", shenfenzheng_hao="210103198001012215")
    ss_flow._complete(
        api, ss_flow.DONGSHIHUI, "报名登记与资格审查", houxuanren=[ss_flow.ZHANG, zhao, ss_flow.WANG]
    )
    assert mine(api, "houxuanren2") == []
    assert [i["person_name"] for i in mine(api, "houxuanren1")] == ["张伟"]


def test_x03_fh_applicant_sees_own_exam_scores_and_total(fh, fh_clock):
    api = fh
    instance_id = fh_flow.start_plan(api)
    fh_flow.announce_and_register(api, instance_id, fh_flow.SIX_QUALIFIED)
    fh_flow.close_registration(api)
    fh_flow._to_publicity(api, instance_id)

    [item] = mine(api, "yingpin1")
    assert item["applications"][0]["record"]["hege"] is True
    found = results(item)
    assert [r["fenshu"] for r in found["笔试成绩"]] == [80]
    assert [r["fenshu"] for r in found["面试成绩"]] == [90]
    assert [(r["zongchengji"], r["mingci"]) for r in found["总成绩与排名"]] == [(86.0, 1)]
    assert "李静怡" not in str(item)
    [other] = mine(api, "yingpin2")
    assert [(r["zongchengji"], r["mingci"]) for r in results(other)["总成绩与排名"]] == [(83.6, 2)]


def test_admin_creates_a_linked_candidate_account_over_the_api(api):
    body = {
        "username": "shenqingren-ceshi",
        "password": "candidate-pass-1",
        "display_name": "测试应聘人",
        "roles": ["应聘者"],
        "id_number": "330283199001010016",
    }
    assert_problem(api.post("/api/v1/users", "renshi", json=body), 403)
    assert_problem(api.post("/api/v1/users", json=dict(body, id_number="12345")), 422)
    typo = assert_problem(api.post("/api/v1/users", json=dict(body, id_number="330283199001010061")), 422)
    assert "校验位" in typo["detail"]
    taken = dict(body, username="shenqingren-ceshi2", id_number=CANDIDATE_ID_NUMBERS["yingpin1"])
    problem = assert_problem(api.post("/api/v1/users", json=taken), 409)
    assert "yingpin1" in problem["detail"]

    created = api.post("/api/v1/users", json=body)
    assert created.status_code == 201, created.json
    assert created.json == {
        "username": "shenqingren-ceshi",
        "display_name": "测试应聘人",
        "roles": ["应聘者"],
        "grants": ["应聘者@default"],
        "organisation": None,
        "admin": False,
        "admin_organisation": None,
        "id_number_linked": True,
    }
    assert "password" not in created.get_data(as_text=True)
    assert_problem(api.post("/api/v1/users", json=body), 409)  # exists
    token = api.client.post(
        "/api/v1/auth/token", json={"username": "shenqingren-ceshi", "password": "candidate-pass-1"}
    ).json["access_token"]
    listing = api.client.get("/api/v1/me/applications", headers={"Authorization": f"Bearer {token}"})
    assert listing.status_code == 200 and listing.json["items"] == []
