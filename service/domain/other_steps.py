"""The script steps of 公示, 省属选聘 and 奉化年度用工计划: one function per step, each returning
what the script unpacks into its results."""

from __future__ import annotations

from typing import Any

from service.domain.pay import pay_structure_violations
from service.domain.publicity import gs_check_days, gs_objection_list, gs_outcome
from service.domain.ratios import meets_ratio
from service.domain.registration import check_single_registrations
from service.domain.shengshu import ss_proposal
from service.domain.validation import mapping, sequence

SS_MIN_RATIO = 2  # SS-04: at least 2 candidates per post (fixed by the document)


def gs_open(gongshi_tianshu: Any, today: Any, gongshi_lishi: Any = None) -> tuple[Any, ...]:
    """X-04, JB-18: a publicity opens: its length checked, the day the step opened (a posting
    date may not be earlier), no objections yet; the record of earlier publicities of the case
    (gongshi_lishi) is kept and only appended to. Returns (gongshi_tianshu,
    gongshi_dengji_kaishi, gongshi_yiyi_jilu, gongshi_yiyi, gongshi_lishi)."""
    return gs_check_days(gongshi_tianshu), today, {}, [], list(gongshi_lishi or [])


def gs_settle(gongshi_yiyi_jilu: Any, gongshi_lishi: Any, publicity: Any) -> tuple[Any, ...]:
    """X-04, JB-16, JB-18: the settled publicity (gs_outcome) and its objections, appended to
    the record of publicities with the publicity's own fields (`publicity`: content, dates,
    length). Returns (gongshi_jieguo, gongshi_yiyi, gongshi_lishi)."""
    outcome = gs_outcome(gongshi_yiyi_jilu)
    objections = gs_objection_list(gongshi_yiyi_jilu)
    entry = {**mapping(publicity, "公示"), "gongshi_jieguo": outcome, "gongshi_yiyi": objections}
    return outcome, objections, [*sequence(gongshi_lishi, "公示记录"), entry]


def ss_ratio(houxuanren: Any, gangwei_shuliang: Any) -> tuple[Any, ...]:
    """SS-03, SS-04: the registered list names each person once (check_single_registrations);
    the qualified candidates must be at least 2 per post. Returns (hege_houxuanren, chae_renshu,
    chae_dabiao)."""
    people = check_single_registrations(houxuanren, "houxuanren")
    qualified = [h["xingming"] for h in people if h["zige_shencha"] == "通过"]
    return qualified, len(qualified), meets_ratio(len(qualified), gangwei_shuliang, SS_MIN_RATIO)


def ss_pay(
    jiben_nianxin: Any, mubiao_jixiao_nianxin: Any, zhongchangqi_jili: Any, shichang_75fenwei: Any
) -> tuple[Any, ...]:
    """SS-09: the pay package's annual target (base + target performance pay), its total (with
    the medium/long-term incentives) and the rules it breaks. Returns (mubiao_niandu_xinchou,
    xinchou_zongshuiping, xinchou_weigui)."""
    annual = jiben_nianxin + mubiao_jixiao_nianxin
    total = annual + zhongchangqi_jili
    return (
        annual,
        total,
        pay_structure_violations(annual, mubiao_jixiao_nianxin, zhongchangqi_jili, total, shichang_75fenwei),
    )


def ss_proposed(
    houxuanren: Any,
    kaocha_duixiang: Any,
    niding_renxuan: Any,
    gangwei_shuliang: Any,
    timing_xingming: Any = None,
) -> tuple[Any, ...]:
    """SS-06: the proposal (ss_proposal, from the nominated when timing_xingming is given) as
    (niding_xingming, niding_renxuan)."""
    proposal = ss_proposal(houxuanren, kaocha_duixiang, niding_renxuan, gangwei_shuliang, timing_xingming)
    return proposal["niding_xingming"], proposal["niding_renxuan"]


def fh_plan_year(jihua_niandu: Any, qiye_mingcheng: Any, today: Any) -> tuple[Any, ...]:
    """FH-01: an annual plan is for this year or the next (jihua_niandu) of a named enterprise
    (qiye_mingcheng, 2–100 characters); other start data fails the start. Returns
    (jihua_niandu, qiye_mingcheng)."""
    if jihua_niandu is None:
        raise ValueError("发起数据缺少计划年度 jihua_niandu（整数年份，如 2027）")
    if qiye_mingcheng is None:
        raise ValueError("发起数据缺少企业名称 qiye_mingcheng")
    if (
        isinstance(jihua_niandu, bool)
        or not isinstance(jihua_niandu, int)
        or not 2020 <= jihua_niandu <= 2100
    ):
        raise ValueError(f"计划年度 jihua_niandu 应为 2020 至 2100 之间的整数年份，收到 {jihua_niandu!r}")
    this_year = int(str(today)[:4])
    if not this_year <= jihua_niandu <= this_year + 1:
        raise ValueError(
            f"计划年度只能是本年度（{this_year}）或下一年度（{this_year + 1}），收到 {jihua_niandu}",
            "jihua_niandu",
        )
    name = qiye_mingcheng.strip() if isinstance(qiye_mingcheng, str) else ""
    if not 2 <= len(name) <= 100:
        raise ValueError("企业名称 qiye_mingcheng 应为 2 至 100 个字符的企业全称")
    return jihua_niandu, name


def fh_plan_submission(
    guanli_jishu_gangwei: Any, laowu_liudong_gangwei: Any, baosong_cishu: Any
) -> tuple[Any, ...]:
    """FH-01: one submission of the annual plan: counted, the planned hires summed per kind, the
    labour posts filed with it. Returns (baosong_cishu, guanli_renshu_heji, laowu_renshu_heji,
    laowu_jihua_zhuangtai)."""
    management = sequence(guanli_jishu_gangwei, "管理技术岗计划")
    labour = sequence(laowu_liudong_gangwei, "劳务流动岗计划")
    return (
        baosong_cishu + 1,
        sum(g["renshu"] for g in management),
        sum(g["renshu"] for g in labour),
        "已备案" if labour else "本年度无劳务流动岗计划",
    )


def fh_plan_returned(
    tuihui_jilu: Any, baosong_cishu: Any, today: Any, hezhun_yijian: Any
) -> list[dict[str, Any]]:
    """FH-01: the record of returned submissions with this one added."""
    entry = {"baosong_cishu": baosong_cishu, "tuihui_riqi": today, "hezhun_yijian": hezhun_yijian}
    return [*sequence(tuihui_jilu, "退回记录"), entry]
