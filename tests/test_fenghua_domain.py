"""The 奉化 rules as domain functions (service/domain/fenghua.py, dates.past_deadline): pure, no
database; the diagrams call them from short scripts."""

from __future__ import annotations

from datetime import datetime

import pytest

from service.domain.dates import past_deadline
from service.domain.fenghua import (
    fh_approved_plan,
    fh_check_plan_posts,
    fh_filing_record,
    fh_plan_post,
    fh_qualification_facts,
    fh_record_hire,
    fh_reduced_plan,
)
from service.domain.refusal import Refusal
from service.timeutil import SHANGHAI

DUE = "2026-12-31T23:59:59+08:00"


def test_fh08_fh09_past_deadline_counts_the_whole_last_day():
    """FH-08, FH-09: done on the deadline's day is on time; a second later, or the next day, is late."""
    assert past_deadline(DUE, "2026-12-31") is False
    assert past_deadline(DUE, "2027-01-01") is True
    assert past_deadline(DUE, "2026-12-31T23:59:59+08:00") is False
    assert past_deadline(DUE, "2027-01-01T00:00:00+08:00") is True
    assert past_deadline(DUE, "2026-12-31T16:00:00+00:00") is True  # 00:00 Beijing on 1/1
    assert past_deadline("2026-12-31", datetime(2026, 12, 31, 22, 0, tzinfo=SHANGHAI)) is False
    with pytest.raises(ValueError, match="无法识别的期限"):
        past_deadline("明年", "2026-12-31")


def test_fh09_the_filing_record_says_whether_it_was_late():
    """FH-09: the record of a filing: type, date, deadline, result, number and lateness."""
    record = fh_filing_record(
        "离职",
        "2026-11-16",
        "2026-12-07T23:59:59+08:00",
        "准予备案",
        "奉化备案-040026",
        "2026-12-09T10:00:00+08:00",
    )
    assert record == {
        "beian_leixing": "离职",
        "biandong_riqi": "2026-11-16",
        "beian_jiezhi": "2026-12-07T23:59:59+08:00",
        "beian_jieguo": "准予备案",
        "beian_bianhao": "奉化备案-040026",
        "banjie_shijian": "2026-12-09T10:00:00+08:00",
        "beian_yuqi": True,
    }
    on_time = fh_filing_record("入职", "2026-12-10", DUE, "不予备案", None, "2026-12-30T10:00:00+08:00")
    assert on_time["beian_yuqi"] is False and on_time["beian_bianhao"] is None


def test_fh08_fh09_a_hire_record_keeps_contract_and_filing_lateness():
    """FH-08: a contract later than one month after the start is late (12/10 → 1/10 still on
    time); FH-09: the filing's lateness comes from its record. Other hires are untouched and the
    input list is not changed."""
    hires = [{"xingming": "王晓东"}, {"xingming": "李静怡"}]
    filing = {
        "beian_jieguo": "准予备案",
        "beian_bianhao": "奉化备案-120012",
        "beian_jiezhi": DUE,
        "beian_yuqi": True,
    }
    updated = fh_record_hire(hires, 1, "2026-12-10", "2027-01-10", 3, filing)
    assert hires == [{"xingming": "王晓东"}, {"xingming": "李静怡"}]
    assert updated[0] == {"xingming": "王晓东"}
    assert updated[1] == {
        "xingming": "李静怡",
        "hetong_riqi": "2027-01-10",
        "hetong_qixian_nian": 3,
        "hetong_yuqi": False,
        "beian_jieguo": "准予备案",
        "beian_bianhao": "奉化备案-120012",
        "beian_jiezhi": DUE,
        "beian_yuqi": True,
    }
    assert fh_record_hire(hires, 0, "2026-12-10", "2027-01-11", 3, filing)[0]["hetong_yuqi"] is True
    # 31 January + 1 month is the end of February
    assert fh_record_hire(hires, 0, "2027-01-31", "2027-02-28", 3, filing)[0]["hetong_yuqi"] is False
    with pytest.raises(ValueError, match="超出名单"):
        fh_record_hire(hires, 2, "2026-12-10", "2027-01-10", 3, filing)


# --- FH-01: the approved annual plan, FH-03: 核减 ---------------------------------------------

PLAN = {
    "id": "p-1",
    "definition_key": "fenghua_niandu_jihua",
    "business_key": "交投-2026",
    "status": "completed",
    "data": {
        "jihua_zhuangtai": "已核准",
        "jihua_niandu": 2026,
        "qiye_mingcheng": "宁波市奉化区交通投资集团有限公司",
        "hezhun_riqi": "2026-01-20",
        "guanli_jishu_gangwei": [
            {
                "gangwei_mingcheng": "财务会计",
                "renshu": 2,
                "xueli_yaoqiu": "全日制大学本科及以上",
                "zhuanye_yaoqiu": "会计学",
            }
        ],
        "laowu_liudong_gangwei": [
            {"gangwei_mingcheng": "公交驾驶员", "renshu": 12, "zhaopin_fangshi": "自聘"}
        ],
    },
}


def _refused(call, field, *words):
    with pytest.raises(Refusal) as refused:
        call()
    assert refused.value.field == field, refused.value.message
    assert all(word in refused.value.message for word in words), refused.value.message


def test_fh01_only_an_approved_plan_of_this_year_starts_a_recruitment():
    """FH-01: no plan, another process, a plan not (yet) approved, another year → refused."""
    plan = fh_approved_plan(PLAN, "fenghua_niandu_jihua", "2026-11-20")
    assert (plan["shili_id"], plan["jihua_niandu"], plan["qiye_mingcheng"]) == (
        "p-1",
        2026,
        PLAN["data"]["qiye_mingcheng"],
    )
    assert plan["guanli_jishu_gangwei"][0]["renshu"] == 2
    still_running = {**PLAN, "status": "running"}  # a 督办 branch may still be open beside the approval
    assert fh_approved_plan(still_running, "fenghua_niandu_jihua", "2026-11-20")["shili_id"] == "p-1"
    _refused(
        lambda: fh_approved_plan(None, "fenghua_niandu_jihua", "2026-11-20"), "source_instance_id", "已核准"
    )
    other = {**PLAN, "definition_key": "fenghua_beian"}
    _refused(
        lambda: fh_approved_plan(other, "fenghua_niandu_jihua", "2026-11-20"),
        "source_instance_id",
        "不是年度用工计划",
    )
    waiting = {**PLAN, "data": {**PLAN["data"], "jihua_zhuangtai": "待核准"}}
    _refused(
        lambda: fh_approved_plan(waiting, "fenghua_niandu_jihua", "2026-11-20"),
        "source_instance_id",
        "待核准",
    )
    _refused(
        lambda: fh_approved_plan(PLAN, "fenghua_niandu_jihua", "2027-01-05"),
        "source_instance_id",
        "2026 年度",
    )


def test_fh01_the_post_and_number_come_from_the_plan():
    """FH-01: the post must be in the plan's list of its category; at most the planned number."""
    plan = fh_approved_plan(PLAN, "fenghua_niandu_jihua", "2026-11-20")
    post = fh_plan_post(plan, "财务会计", "管理技术岗", 2)
    assert (post["xueli_yaoqiu"], post["zhuanye_yaoqiu"], post["gangwei_jihua"]["renshu"]) == (
        "全日制大学本科及以上",
        "会计学",
        2,
    )
    labour = fh_plan_post(plan, "公交驾驶员", "劳务流动岗", 12)
    assert labour["xueli_yaoqiu"] is None and labour["zhuanye_yaoqiu"] == ""
    _refused(
        lambda: fh_plan_post(plan, "工程管理", "管理技术岗", 1),
        "gangwei_mingcheng",
        "工程管理",
        "计划岗位：财务会计",
    )
    _refused(lambda: fh_plan_post(plan, "财务会计", "劳务流动岗", 1), "gangwei_mingcheng", "劳务流动岗")
    _refused(lambda: fh_plan_post(plan, "财务会计", "管理技术岗", 3), "jihua_renshu", "3 人", "2 人")
    _refused(lambda: fh_plan_post(plan, "财务会计", "其他", 1), "gangwei_leibie")


def test_fh03_a_reduction_must_reduce():
    """FH-03: 核减 to fewer than the current plan; the same number or more is refused."""
    assert fh_reduced_plan(3, 2) == 2
    assert fh_reduced_plan(3, 1) == 1
    _refused(lambda: fh_reduced_plan(3, 3), "hejian_hou_renshu", "少于当前计划的 3 人")
    _refused(lambda: fh_reduced_plan(3, 5), "hejian_hou_renshu")
    with pytest.raises(ValueError, match="不得小于 1"):
        fh_reduced_plan(3, 0)


# --- FH-02: degrees with their study mode, relaxations ------------------------------------------


def degrees(*pairs):
    return [{"xueli": level, "xuexi_xingshi": mode} for level, mode in pairs]


def test_fh02_full_time_and_in_service_degrees_are_separate_facts():
    """FH-02: a full-time bachelor with an in-service master holds a full-time bachelor's (meets
    全日制大学本科及以上) but not a full-time master's (no 45-year limit); an in-service bachelor
    alone does not meet a full-time requirement."""
    both = fh_qualification_facts(
        degrees(("大学本科", "全日制"), ("硕士研究生", "在职")), "全日制大学本科及以上"
    )
    assert (both["xueli_dabiao"], both["quanrizhi_yanjiusheng"]) == (True, False)
    assert (both["zuigao_xueli"], both["quanrizhi_xueli"]) == ("硕士研究生", "大学本科")
    master = fh_qualification_facts(degrees(("硕士研究生", "全日制")), "全日制大学本科及以上")
    assert master["quanrizhi_yanjiusheng"] is True
    in_service = fh_qualification_facts(degrees(("大学本科", "在职")), "全日制大学本科及以上")
    assert in_service["xueli_dabiao"] is False and in_service["xueli_liyou"].startswith("非全日制学历")
    assert in_service["quanrizhi_xueli"] is None
    low = fh_qualification_facts(degrees(("大专", "全日制")), "全日制大学本科及以上")
    assert low["xueli_dabiao"] is False and "全日制大专" in low["xueli_liyou"]
    assert fh_qualification_facts(degrees(("大专", "全日制")), "全日制大专及以上")["xueli_dabiao"] is True
    assert fh_qualification_facts(degrees(("大专", "在职")), "全日制大专及以上")["xueli_dabiao"] is False


def test_fh02_in_service_dazhuan_and_the_centres_relaxation():
    """FH-02: 在职大专及以上 accepts an in-service 大专; a relaxation approved with the plan
    replaces the requirement and carries its age limit; labour posts have no requirement."""
    zaizhi = degrees(("大专", "在职"))
    assert fh_qualification_facts(zaizhi, "在职大专及以上")["xueli_dabiao"] is True
    assert (
        fh_qualification_facts(degrees(("高中及以下", "全日制")), "在职大专及以上")["xueli_dabiao"] is False
    )
    relaxed = fh_qualification_facts(
        zaizhi,
        "全日制大学本科及以上",
        {"xueli_yaoqiu": "在职大专及以上", "nianling_shangxian": 50, "liyou": "紧缺"},
    )
    assert (relaxed["xueli_dabiao"], relaxed["teshu_nianling"]) == (True, 50)
    age_only = fh_qualification_facts(
        zaizhi, "全日制大学本科及以上", {"nianling_shangxian": 50, "liyou": "紧缺"}
    )
    assert (age_only["xueli_dabiao"], age_only["teshu_nianling"]) == (False, 50)
    assert fh_qualification_facts(zaizhi, None)["xueli_dabiao"] is True
    with pytest.raises(Refusal) as refused:
        fh_qualification_facts(degrees(("本科", "全日制")), None)
    assert refused.value.field == "xueli_lie"
    with pytest.raises(Refusal):
        fh_qualification_facts([], None)


def test_fh02_in_service_dazhuan_only_for_the_listed_post_kinds():
    """FH-02 (第三十条（一）): a plan may ask for in-service 大专 only for 养老服务管理, 殡葬管理,
    商贸市场管理 and 酒店管理 posts (the setting's list) or as a special relaxation with its
    reason; refused on the post's field otherwise."""
    kinds = ["养老服务管理", "殡葬管理", "商贸市场管理", "酒店管理"]
    hotel = {
        "gangwei_mingcheng": "前厅主管",
        "renshu": 1,
        "xueli_yaoqiu": "在职大专及以上",
        "fangkuan_gangwei_lei": "酒店管理",
    }
    fh_check_plan_posts([dict(CAIWU_POST), hotel], kinds)
    finance = {**hotel, "gangwei_mingcheng": "出纳", "fangkuan_gangwei_lei": "财务管理"}
    _refused(
        lambda: fh_check_plan_posts([dict(CAIWU_POST), finance], kinds),
        "guanli_jishu_gangwei.1.fangkuan_gangwei_lei",
        "出纳",
        "酒店管理",
    )
    special = {
        **finance,
        "teshu_fangkuan": {"xueli_yaoqiu": "在职大专及以上", "liyou": "偏远站点长期招不到人"},
    }
    fh_check_plan_posts([special], kinds)
    _refused(
        lambda: fh_check_plan_posts([{**finance, "teshu_fangkuan": {"liyou": " "}}], kinds),
        "guanli_jishu_gangwei.0.teshu_fangkuan.liyou",
    )


CAIWU_POST = {
    "gangwei_mingcheng": "财务会计",
    "renshu": 2,
    "xueli_yaoqiu": "全日制大学本科及以上",
    "zhuanye_yaoqiu": "会计学",
}


def test_fh10_the_share_counts_the_highest_full_time_degree():
    """FH-10, FH-02: a full-time bachelor with an in-service master counts; an in-service master
    over a full-time 大专 does not."""
    from service.domain.reports import bachelor_share

    share = bachelor_share(
        [
            {"quanrizhi_xueli": "大学本科", "xueli": "硕士研究生", "quanrizhi": False},
            {"quanrizhi_xueli": "大专", "xueli": "硕士研究生", "quanrizhi": False},
        ]
    )
    assert (share["total"], share["full_time_bachelor_or_higher"]) == (2, 1)
