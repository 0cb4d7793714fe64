"""开发区竞聘上岗 (KF): what the diagram's script steps compute, one function per step.

Each returns a tuple the script unpacks into its results, so a script is one call.
"""

from __future__ import annotations

import calendar
from datetime import timedelta
from typing import Any

from service.domain.dates import age_on, as_date, months_between
from service.domain.kaifaqu import (
    kf_batch_posts,
    kf_blank_sheet,
    kf_interview_scores,
    kf_number_competitors,
    kf_score_list,
    kf_unfilled_posts,
)
from service.domain.ranking import above_threshold, inspection_targets, rank
from service.domain.refusal import Refusal
from service.domain.registration import count_by_post
from service.domain.retirement import statutory_retirement
from service.domain.validation import mapping, sequence

PASS_MARK = 60  # KF-09: a total below 60 may not be inspected (fixed by the document)

# The registration form's fields kept in the record of one registration; the optional ones
# (current unit and post, phone) are recorded as "" when not filled in.
_FIELDS = (
    "xingming", "shenfenzheng_hao", "xingbie", "chusheng_riqi", "xian_danwei_zhiwu", "lianxi_dianhua",
    "shi_lingdao_banzi", "shou_shencha_chufen", "yuan_tuixiu_nianling", "fading_tuixiu", "renyuan_leibie",
    "xueli", "nianling", "juli_tuixiu_yue", "xian_cengji", "shangnian_kaohe", "baokao_gangwei",
)  # fmt: skip
_OPTIONAL = ("xian_danwei_zhiwu", "lianxi_dianhua")


def _key(entry: Any) -> str:
    return f"{entry['shenfenzheng_hao']}|{entry['gangwei']}"


def _competitor(row: Any) -> dict[str, Any]:
    return {k: row[k] for k in ("xingming", "shenfenzheng_hao", "baokao_gangwei")}


def kf_open_batch(
    source: Any, pici: Any, gangwei_list: Any, default_posts: Any, zone: Any, process: Any
) -> tuple[Any, ...]:
    """KF-01, KF-14, KF-04: a batch opens with its posts (kf_batch_posts) and an empty
    registration. Returns (pici, gangwei_list, diyi_pici, diyi_pici_luoxuan, gangwei_mingcheng,
    baoming_tongji, baoming_renyuan)."""
    batch = kf_batch_posts(source, pici, gangwei_list, default_posts, zone, process)
    posts = batch["gangwei_list"]
    return (
        batch["pici"],
        posts,
        batch["diyi_pici"],
        batch["piyi_luoxuan"],
        [p["mingcheng"] for p in posts],
        count_by_post([], posts),
        [],
    )


def kf_qualification_facts(
    gangwei_list: Any,
    baokao_gangwei: Any,
    chusheng_riqi: Any,
    xingbie: Any,
    yuan_tuixiu_nianling: Any,
    fabu_riqi: Any,
    xian_cengji: Any,
) -> tuple[Any, ...]:
    """KF-03: what the eligibility table (kaifaqu_zige.dmn) needs, as of the plan's publication
    date: age, the statutory retirement (2025 reform table), months from publication to it, and
    whether a post applied for is above the current level. A post not in this batch is refused
    (field baokao_gangwei). Returns (nianling, fading_tuixiu, juli_tuixiu_yue, gaoyu_xianji)."""
    levels = {p["mingcheng"]: p["cengji"] for p in map(dict, sequence(gangwei_list, "竞聘岗位清单"))}
    applied = sequence(baokao_gangwei, "报考岗位")
    for index, post in enumerate(applied):
        if post not in levels:
            raise Refusal(f"报考岗位「{post}」不在本批次竞聘岗位中", f"baokao_gangwei.{index}")
    retirement = statutory_retirement(chusheng_riqi, xingbie, yuan_tuixiu_nianling)
    return (
        age_on(chusheng_riqi, fabu_riqi),
        retirement,
        months_between(fabu_riqi, retirement["riqi"]),
        max(levels[p] for p in applied) > xian_cengji,
    )


def kf_registration(biaodan: Any, buhege_yuanyin: Any) -> dict[str, Any]:
    """KF-04, KF-03: the record of one registration from its form (and the facts computed for
    it), qualified (`zige_hege`) when the eligibility table found no reason against it."""
    form = mapping(biaodan, "报名表")
    reasons = list(sequence(buhege_yuanyin or [], "不符合原因"))
    record = {k: form.get(k, "" if k in _OPTIONAL else None) for k in _FIELDS}
    return {**record, "zige_hege": not reasons, "buhege_yuanyin": reasons}


def kf_competition_list(baoming_renyuan: Any, quxiao_zige: Any, gangwei_list: Any) -> tuple[Any, ...]:
    """KF-05, KF-06, KF-07, X-05, KF-14: the competitors after the qualification review.

    A cancellation must name a registered ID number (refused on quxiao_zige.<n>.shenfenzheng_hao);
    cancelled and ineligible people leave the list. The competitors are numbered, judges get the
    list to score (no ID numbers) and a blank sheet, and until appointments are recorded every
    post is unfilled and every competitor may apply again in batch 2. Returns (jingpin_renyuan,
    quxiao_renyuan, pingfen_mingdan, pingfen, weitianbu_gangwei, piyi_luoxuan)."""
    registered = [dict(mapping(r, "报名记录")) for r in sequence(baoming_renyuan, "报名记录")]
    ids = {r["shenfenzheng_hao"] for r in registered}
    cancelled: dict[str, Any] = {}
    for index, entry in enumerate(sequence(quxiao_zige, "取消竞聘资格")):
        entry = mapping(entry, "取消竞聘资格")
        if entry["shenfenzheng_hao"] not in ids:
            raise Refusal(
                f"取消资格的身份证号 {entry['shenfenzheng_hao']} 不是本批次的报名人员，请核对",
                f"quxiao_zige.{index}.shenfenzheng_hao",
            )
        cancelled[entry["shenfenzheng_hao"]] = entry["yuanyin"]
    competitors = kf_number_competitors(
        [r for r in registered if r["zige_hege"] and r["shenfenzheng_hao"] not in cancelled]
    )
    score_list = kf_score_list(competitors)
    return (
        competitors,
        [
            dict(r, quxiao_yuanyin=cancelled[r["shenfenzheng_hao"]])
            for r in registered
            if r["shenfenzheng_hao"] in cancelled
        ],
        score_list,
        kf_blank_sheet(score_list),
        list(sequence(gangwei_list, "竞聘岗位清单")),
        [_competitor(r) for r in competitors],
    )


def kf_interview_round(jingpin_renyuan: Any, pingwei_list: Any, previous: Any = None) -> tuple[Any, ...]:
    """KF-07, X-02: one interview round from the judges' sheets (the multi-instance's collection).
    The sheets are kept as this round's record and the panel read back from them; with fewer
    than 3 valid scores for anyone the round is void and the earlier result (`previous`) stays.
    Returns (pingfen_jilu, pingwei_list, pingfen_buzu, mianshi_chengji)."""
    sheets = [dict(mapping(s, "评委的评分表")) for s in sequence(pingwei_list, "评分表")]
    result = kf_interview_scores(jingpin_renyuan, sheets)
    scores = previous if result["pingfen_buzu"] else result["mianshi_chengji"]
    return sheets, [s["pingwei"] for s in sheets], result["pingfen_buzu"], scores


def kf_ranking(
    mianshi_chengji: Any, chengji_queren: Any, gangwei_list: Any, mianshi_quanzhong: Any, chae_bili: Any
) -> tuple[Any, ...]:
    """KF-08, KF-09, KF-10: every competitor has signed for their score (refused on
    chengji_queren otherwise); total = interview × weight + other score × (1 − weight); per
    post ranked by total, ties by interview score; a total below 60 is not eligible; the
    suggested inspection targets follow the 差额 ratio. Returns (mianshi_chengji, paiming,
    kaocha_jianyi)."""
    signed = {_key(q): mapping(q, "成绩确认") for q in sequence(chengji_queren, "成绩确认")}
    scored = []
    for entry in sequence(mianshi_chengji, "面试成绩"):
        entry = dict(mapping(entry, "面试成绩"))
        confirmation = signed.get(_key(entry))
        if confirmation is None or not confirmation.get("qianzi_queren"):
            raise Refusal(f"{entry['xingming']}（{entry['gangwei']}）尚未签字确认成绩", "chengji_queren")
        other = confirmation.get("qita_defen", 0)
        total = round(entry["mianshi_defen"] * mianshi_quanzhong + other * (1 - mianshi_quanzhong), 2)
        scored.append(dict(entry, qianzi_queren=True, qita_defen=other, zong_chengji=total))
    ranking, suggested = {}, {}
    for post in sequence(gangwei_list, "竞聘岗位清单"):
        name = post["mingcheng"]
        ranked = rank([c for c in scored if c["gangwei"] == name], "zong_chengji", "mianshi_defen")
        ranked = [dict(c, ruwei_zige=c["zong_chengji"] >= PASS_MARK) for c in ranked]
        ranking[name] = ranked
        suggested[name] = inspection_targets(
            above_threshold(ranked, "zong_chengji", PASS_MARK), post.get("renshu", 1), chae_bili
        )
    return scored, ranking, suggested


def kf_inspection_list(kaocha_jianyi: Any, paichu_renyuan: Any = None) -> list[dict[str, Any]]:
    """KF-10, KF-05: the inspection targets the leading group confirms — the suggested ones
    less those it excludes; an excluded ID number that was not suggested is refused (field
    paichu_renyuan.<n>)."""
    suggested = mapping(kaocha_jianyi, "建议的考察对象")
    ids = [c["shenfenzheng_hao"] for post in suggested for c in suggested[post]]
    excluded = list(sequence(paichu_renyuan or [], "排除人员"))
    for index, number in enumerate(excluded):
        if number not in ids:
            raise Refusal(f"排除的身份证号 {number} 不在建议的考察对象中，请核对", f"paichu_renyuan.{index}")
    return [
        {
            "gangwei": post,
            "shenfenzheng_hao": c["shenfenzheng_hao"],
            "xingming": c["xingming"],
            "zong_chengji": c["zong_chengji"],
        }
        for post in suggested
        for c in suggested[post]
        if c["shenfenzheng_hao"] not in excluded
    ]


def kf_check_proposal(kaocha_jieguo: Any, gangwei_list: Any, nipin_renxuan: Any) -> None:
    """KF-12: every proposed appointee passed the inspection for that post, is proposed for one
    post only, and no post gets more appointees than it has places (refused on
    nipin_renxuan.<n>.shenfenzheng_hao)."""
    passed = {_key(k) for k in sequence(kaocha_jieguo, "考察结果") if k["kaocha_hege"]}
    places = {p["mingcheng"]: p.get("renshu", 1) for p in sequence(gangwei_list, "竞聘岗位清单")}
    used: dict[str, int] = {}
    people: set[str] = set()
    for index, n in enumerate(sequence(nipin_renxuan, "拟聘用人选")):
        where = f"nipin_renxuan.{index}.shenfenzheng_hao"
        if _key(n) not in passed:
            raise Refusal(f"{n['xingming']} 不是「{n['gangwei']}」考察合格的考察对象", where)
        if n["shenfenzheng_hao"] in people:
            raise Refusal(f"{n['xingming']} 只能被拟聘用到一个岗位", where)
        people.add(n["shenfenzheng_hao"])
        used[n["gangwei"]] = used.get(n["gangwei"], 0) + 1
        if used[n["gangwei"]] > places.get(n["gangwei"], 1):
            raise Refusal(f"「{n['gangwei']}」拟聘用人数超过岗位数", where)


def kf_publicity_text(nipin_renxuan: Any) -> str:
    """KF-13: what the pre-appointment publicity says: each appointee and their post."""
    return "开发区竞聘上岗拟聘用人选公示：" + "；".join(
        f"{n['xingming']}，拟聘{n['gangwei']}" for n in sequence(nipin_renxuan, "拟聘用人选")
    )


def term_end(start: Any, years: int) -> str:
    """KF-13: the last day of a term of `years` years from `start` (2027-03-01, 2 → 2029-02-28)."""
    first = as_date(start)
    year = first.year + years
    day = min(first.day, calendar.monthrange(year, first.month)[1])
    return (first.replace(year=year, day=day) - timedelta(days=1)).isoformat()


def kf_appointments(
    nipin_renxuan: Any, pinyong_shouxu: Any, jingpin_renyuan: Any, gangwei_list: Any, pinqi_nian: Any
) -> tuple[Any, ...]:
    """KF-13, KF-14: the appointments (contract, appointment letter, a term of `pinqi_nian`
    years — setting pinqi_nian, 2 by default); every appointee needs their formalities recorded
    (refused on pinyong_shouxu otherwise). Returns (pinyong_jieguo, weitianbu_gangwei: the posts
    left for batch 2, piyi_luoxuan: the competitors not appointed)."""
    done = {p["shenfenzheng_hao"]: p for p in sequence(pinyong_shouxu, "聘用手续")}
    hires = []
    for n in sequence(nipin_renxuan, "拟聘用人选"):
        record = done.get(n["shenfenzheng_hao"])
        if record is None:
            raise Refusal(f"{n['xingming']} 尚未办理聘用手续", "pinyong_shouxu")
        hires.append(
            {
                "gangwei": n["gangwei"],
                "shenfenzheng_hao": n["shenfenzheng_hao"],
                "xingming": n["xingming"],
                "hetong_qianding_riqi": record["hetong_qianding_riqi"],
                "pinshu_bianhao": record["pinshu_bianhao"],
                "pinqi_nian": pinqi_nian,
                "pinqi_qishi": record["pinqi_qishi"],
                "pinqi_zhongzhi": term_end(record["pinqi_qishi"], pinqi_nian),
            }
        )
    appointed = {h["shenfenzheng_hao"] for h in hires}
    left = [
        _competitor(r)
        for r in sequence(jingpin_renyuan, "竞聘人员名单")
        if r["shenfenzheng_hao"] not in appointed
    ]
    return hires, kf_unfilled_posts(gangwei_list, hires), left
