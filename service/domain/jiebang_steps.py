"""揭榜挂帅 (JB): what the diagram's script steps compute, one function per step; each returns
what the script unpacks into its results."""

from __future__ import annotations

from typing import Any

from service.domain.draws import draw_order, draw_questions
from service.domain.recusal import jb_interview_results, jb_second_round_results
from service.domain.refusal import Refusal
from service.domain.registration import register_once
from service.domain.validation import mapping, sequence

PASS_MARK = 80  # JB-13: every score below 80 lets the post stay vacant (fixed by the document)


def jb_record_application(
    shenqing_list: Any,
    shenqing: Any,
    shoudao_riqi: Any,
    jiebang_jiezhi: Any,
    zige_hege: Any,
    zige_shuoming: Any,
    policy: Any,
) -> list[dict[str, Any]]:
    """JB-03, JB-04, JB-05: one application into the list, numbered in order of receipt: one
    received after the window (jiebang_jiezhi) is not accepted (逾期补报，视为放弃), one the
    eligibility table rejected is not accepted with its reason. A second application with the
    same ID number follows the setting chongfu_baoming (register_once; field
    shenqing.shenfenzheng_hao)."""
    record = dict(
        mapping(shenqing, "揭榜申请表"),
        shoudao_riqi=shoudao_riqi,
        xuhao=len(sequence(shenqing_list, "揭榜申请")) + 1,
    )
    if str(shoudao_riqi) > str(jiebang_jiezhi)[:10]:
        record.update(shouli=False, liyou="逾期补报，视为放弃")
    else:
        record.update(shouli=bool(zige_hege), liyou=zige_shuoming)
    return register_once(shenqing_list, record, policy, field="shenqing.shenfenzheng_hao")


def jb_accepted(shenqing_list: Any) -> list[str]:
    """JB-04, JB-06: the names of the accepted applications, in order of receipt."""
    return [s["xingming"] for s in sequence(shenqing_list, "揭榜申请") if s["shouli"]]


def jb_shortlist_text(niding_duixiang: Any, hege_mingdan: Any, jingpin_zhiwei: Any) -> str:
    """JB-06: the proposed list names accepted applicants only (refused on
    niding_duixiang.<n>); returns the text of the 定榜 publicity."""
    names = list(sequence(niding_duixiang, "拟参与的揭榜对象"))
    for index, name in enumerate(names):
        if name not in hege_mingdan:
            raise Refusal(
                f"拟参与的揭榜对象「{name}」不在符合条件的揭榜人员名单中", f"niding_duixiang.{index}"
            )
    return f"{jingpin_zhiwei}拟参与揭榜对象：" + "、".join(names)


def jb_draw(niding_duixiang: Any, tiku: Any, chouti_shu: Any, seed: Any) -> tuple[Any, ...]:
    """JB-08, JB-10, JB-18: the speaking order and each applicant's questions, drawn from `seed`
    (recorded): applicant n (speaking order) draws with seed + n. Returns (yanjiang_shunxu,
    chouti_jilu)."""
    order = draw_order(niding_duixiang, seed)
    draws = [
        {"xingming": name, "zhongzi": seed + n, "timu": draw_questions(tiku, chouti_shu, seed + n)}
        for n, name in enumerate(order, 1)
    ]
    return order, draws


def jb_check_setter(mingti_ren: Any) -> None:
    """JB-10: the party committee names the person who sets the question bank in closed
    conditions when it names the panel (refused on mingti_ren otherwise)."""
    if not mingti_ren:
        raise Refusal("请指定封闭出题的命题人（具有「命题人」角色的系统用户名）", "mingti_ren")


def jb_onsite_draw(
    niding_duixiang: Any, tiku: Any, chouti_shu: Any, seed: Any, chouqian_shunxu: Any = None
) -> tuple[Any, ...]:
    """JB-08, JB-10, X-06: the draw made on site at the interview, not when the bank is set. The
    speaking order is the one the applicants drew by lot there (`chouqian_shunxu`, each applicant
    once, refused on chouqian_shunxu otherwise) or, without it, drawn at this moment from `seed`;
    each applicant's questions are drawn now from the sealed bank (jb_draw). The bank counts as
    used from now on (tiku_qiyong: its confidentiality ends). Returns (yanjiang_shunxu,
    chouti_jilu, chouqian_fangshi, tiku_qiyong)."""
    if chouqian_shunxu:
        order = list(sequence(chouqian_shunxu, "现场抽签顺序"))
        if sorted(map(str, order)) != sorted(map(str, sequence(niding_duixiang, "揭榜对象"))):
            names = "、".join(map(str, niding_duixiang))
            raise Refusal(f"现场抽签顺序须列出每位揭榜对象各一次：{names}", "chouqian_shunxu")
        draws = [
            {"xingming": name, "zhongzi": seed + n, "timu": draw_questions(tiku, chouti_shu, seed + n)}
            for n, name in enumerate(order, 1)
        ]
        return order, draws, "揭榜对象现场抽签", True
    order, draws = jb_draw(niding_duixiang, tiku, chouti_shu, seed)
    return order, draws, "现场随机抽签（系统）", True


def jb_judge_sheet(pingfen: Any, candidates: Any, pingwei: Any, what: str) -> dict[str, Any]:
    """JB-09, JB-10, X-02: a judge's sheet answers each candidate exactly once (refused on
    pingfen otherwise; `what` names the sheet). Returns the multi-instance's entry {"pingwei",
    "pingfen"}."""
    names = sorted(mapping(x, "评分条目")["xingming"] for x in sequence(pingfen, "评分表"))
    if names != sorted(sequence(candidates, "名单")):
        raise Refusal(
            f"{what}须对每位{'并列者' if '第二轮' in what else '揭榜对象'}各填一次：" + "、".join(candidates),
            "pingfen",
        )
    return {"pingwei": pingwei, "pingfen": list(pingfen)}


def jb_void_round(
    sheets: Any, candidates: Any, voided: Any, round_name: str, second: bool = False
) -> tuple[Any, ...]:
    """JB-18, X-02: the candidates of this round without a valid score (every judge recused),
    and the record of void rounds with this one added when it is void. Returns (pingfen_buzu,
    mianshi_zuofei)."""
    result = (
        jb_second_round_results(sheets, candidates)
        if second
        else jb_interview_results(sheets, candidates, PASS_MARK)
    )
    shortfall = result["buzu"]
    record = list(sequence(voided, "作废的评分轮次"))
    if shortfall:
        record.append({"lunci": round_name, "pingfen_biao": list(sheets), "buzu": shortfall})
    return shortfall, record


def jb_interview_outcome(sheets: Any, candidates: Any) -> tuple[Any, ...]:
    """JB-11, JB-12, JB-13, JB-14: a valid interview round's result (jb_interview_results).
    Returns (mianshi_chengji, bingli_duixiang, quanbu_dibao, kaocha_duixiang)."""
    result = jb_interview_results(sheets, candidates, PASS_MARK)
    return result["chengji"], result["bingli"], result["quanbu_dibao"], result["kaocha_duixiang"]


def jb_second_round_outcome(sheets: Any, candidates: Any, dierlun_jilu: Any) -> tuple[Any, ...]:
    """JB-12: a valid second round's result, appended to the record of second rounds. Returns
    (dierlun_chengji, dierlun_jilu, bingli_duixiang, kaocha_duixiang)."""
    result = jb_second_round_results(sheets, candidates)
    return (
        result["chengji"],
        [*sequence(dierlun_jilu, "第二轮记录"), result["chengji"]],
        result["bingli"],
        result["kaocha_duixiang"],
    )
