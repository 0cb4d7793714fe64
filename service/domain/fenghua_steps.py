"""奉化国企招聘 (FH): what the recruitment diagram's script steps compute, one function per
step; each returns what the script unpacks into its results."""

from __future__ import annotations

from typing import Any

from service.domain.fenghua import fh_approved_plan, fh_plan_post, fh_record_hire
from service.domain.ratios import hiring_ratio_decision
from service.domain.refusal import Refusal
from service.domain.registration import id_key, register_once
from service.domain.scoring import average
from service.domain.validation import mapping, sequence

_OPTIONAL = ("xingbie", "biye_yuanxiao", "lianxi_dianhua")  # 报名表的选填项


def _qualified(yingpin_mingdan: Any) -> list[dict[str, Any]]:
    return [dict(a) for a in sequence(yingpin_mingdan, "报名登记表") if mapping(a, "报名记录")["hege"]]


def fh_start_plan(source: Any, plan_process: Any, today: Any) -> tuple[Any, ...]:
    """FH-01: the approved annual plan the recruitment starts from (fh_approved_plan).
    Returns (niandu_jihua, jihua_niandu, qiye_mingcheng)."""
    plan = fh_approved_plan(source, plan_process, today)
    return plan, plan["jihua_niandu"], plan["qiye_mingcheng"]


def fh_post(plan: Any, gangwei_mingcheng: Any, gangwei_leibie: Any, jihua_renshu: Any) -> tuple[Any, ...]:
    """FH-01: the plan's post (fh_plan_post) as (gangwei_jihua, xueli_yaoqiu, zhuanye_yaoqiu,
    teshu_fangkuan)."""
    post = fh_plan_post(plan, gangwei_mingcheng, gangwei_leibie, jihua_renshu)
    return post["gangwei_jihua"], post["xueli_yaoqiu"], post["zhuanye_yaoqiu"], post["teshu_fangkuan"]


def fh_record_application(yingpin_mingdan: Any, biaodan: Any, policy: Any) -> tuple[Any, ...]:
    """FH-06, FH-02: one application into the register with the qualification result the
    eligibility table gave (zige_hege, zige_liyou), once per ID number (register_once, setting
    chongfu_baoming). Returns (yingpin_mingdan, hege_renshu)."""
    form = mapping(biaodan, "报名表")
    facts = mapping(form["zige_yaosu"], "资格要素")
    entry = {
        "xingming": form["xingming"],
        "shenfenzheng_hao": form["shenfenzheng_hao"],
        "xingbie": form.get("xingbie"),
        "chusheng_riqi": form["chusheng_riqi"],
        "nianling": form["nianling"],
        "xueli_lie": form["xueli_lie"],
        "xueli": facts["zuigao_xueli"],
        "quanrizhi_xueli": facts["quanrizhi_xueli"],
        "quanrizhi": facts["quanrizhi_xueli"] == facts["zuigao_xueli"],
        "zhicheng": form["zhicheng"],
        "biye_yuanxiao": form.get("biye_yuanxiao"),
        "zhuanye": form["zhuanye"],
        "lianxi_dianhua": form.get("lianxi_dianhua"),
        "hege": form["zige_hege"],
        "liyou": form["zige_liyou"],
    }
    register = register_once(yingpin_mingdan, entry, policy)
    return register, len(_qualified(register))


def fh_ratio(yingpin_mingdan: Any, jihua_renshu: Any) -> tuple[Any, ...]:
    """FH-03, FH-04: qualified applicants against planned hires. Returns (hege_renshu, bili_jieguo)."""
    qualified = len(_qualified(yingpin_mingdan))
    return qualified, hiring_ratio_decision(qualified, jihua_renshu)


def fh_examiner_sheet(yingpin_mingdan: Any, pingfen: Any, kaoguan: Any) -> dict[str, Any]:
    """FH-05, X-02: an examiner's sheet answers every qualified applicant once (a score or a
    declared 回避) and nobody else (refused on pingfen.<n>.shenfenzheng_hao, or on pingfen for a
    missing applicant). Returns {"kaoguan", "pingfen"} (the multi-instance's entry)."""
    qualified = {id_key(a["shenfenzheng_hao"]): a for a in _qualified(yingpin_mingdan)}
    seen: set[str] = set()
    for index, entry in enumerate(sequence(pingfen, "评分表")):
        number = id_key(mapping(entry, "评分条目").get("shenfenzheng_hao"))
        where = f"pingfen.{index}.shenfenzheng_hao"
        if number not in qualified:
            raise Refusal(f"身份证号 {number} 不是本岗位资格审查合格的应聘人员，不能评分", where)
        if number in seen:
            raise Refusal(f"身份证号 {number} 在评分表中出现了多次，每名应聘人员只能填一行", where)
        seen.add(number)
    missing = [a["xingming"] for n, a in qualified.items() if n not in seen]
    if missing:
        raise Refusal("评分表须对每名应聘人员打分或声明回避，缺少：" + "、".join(missing), "pingfen")
    return {"kaoguan": kaoguan, "pingfen": list(pingfen)}


def round_sheets(collection: Any, judge: str) -> tuple[Any, ...]:
    """KF-07, FH-05: the sheets a multi-instance collected (this round's record, replacing an
    earlier round's) and the panel read back from them. Returns (sheets, panel)."""
    sheets = [dict(mapping(s, "评分表")) for s in sequence(collection, "评分表")]
    return sheets, [s[judge] for s in sheets]


def fh_interview_scores(yingpin_mingdan: Any, sheets: Any) -> tuple[Any, ...]:
    """FH-05, X-02: each qualified applicant's interview score, the mean of the examiners who
    did not declare 回避. An applicant every examiner recused for has no valid score: the round
    is void (pingfen_buzu) and 企业人事 reconvenes the panel. Returns (pingfen_buzu, mianshi_chengji
    or None when void)."""
    sheets = [mapping(s, "考官的评分表") for s in sequence(sheets, "评分表")]
    scores, shortfall = [], []
    for a in _qualified(yingpin_mingdan):
        number = id_key(a["shenfenzheng_hao"])
        values, recused = [], []
        for sheet in sheets:
            for entry in sheet.get("pingfen", []):
                if id_key(entry.get("shenfenzheng_hao")) != number:
                    continue
                if entry.get("huibi"):
                    recused.append({"pingwei": sheet.get("kaoguan"), "guanxi": entry.get("huibi_guanxi")})
                else:
                    values.append(entry["fenshu"])
        if not values:
            shortfall.append({"shenfenzheng_hao": a["shenfenzheng_hao"], "xingming": a["xingming"]})
            continue
        scores.append(
            {
                "shenfenzheng_hao": a["shenfenzheng_hao"],
                "xingming": a["xingming"],
                "fenshu": average(values),
                "kaoguan_defen": values,
                "huibi_pingwei": recused,
            }
        )
    return shortfall, (None if shortfall else scores)


def fh_totals(
    yingpin_mingdan: Any,
    bishi_chengji: Any,
    mianshi_chengji: Any,
    juxing_bishi: Any,
    bishi_quanzhong: Any,
    jihua_renshu: Any,
) -> tuple[Any, ...]:
    """FH-05: totals = written × its weight + interview × (100 − weight), ÷ 100 (interview only
    when the written exam was skipped), ranked by total then interview. Returns (chengji: the
    ranked list with mingci, ni_pinyong: the first jihua_renshu of it)."""
    written = {r["shenfenzheng_hao"]: r["fenshu"] for r in (bishi_chengji or [])} if juxing_bishi else {}
    oral = {r["shenfenzheng_hao"]: r["fenshu"] for r in sequence(mianshi_chengji, "面试成绩")}
    rows = []
    for a in _qualified(yingpin_mingdan):
        number = a["shenfenzheng_hao"]
        if number not in oral or (juxing_bishi and number not in written):
            continue
        if juxing_bishi:
            total = round(
                (written[number] * bishi_quanzhong + oral[number] * (100 - bishi_quanzhong)) / 100, 2
            )
        else:
            total = round(oral[number], 2)
        rows.append(
            {"xingming": a["xingming"], "shenfenzheng_hao": number, "bishi": written.get(number),
             "mianshi": oral[number], "zongchengji": total}
        )  # fmt: skip
    rows.sort(key=lambda c: (c["zongchengji"], c["mianshi"]), reverse=True)
    ranked = [dict(c, mingci=i) for i, c in enumerate(rows, 1)]
    return ranked, ranked[:jihua_renshu]


def fh_publicity_list(
    ni_pinyong: Any, tijian_jieguo: Any, kaocha_jieguo: Any, gangwei_mingcheng: Any
) -> tuple[Any, ...]:
    """FH-06: the people to hire are those proposed who passed both the physical examination
    and the inspection. Returns (luyong_mingdan, gongshi_neirong)."""
    fit = {r["shenfenzheng_hao"] for r in sequence(tijian_jieguo, "体检结果") if r["hege"]}
    vetted = {r["shenfenzheng_hao"] for r in sequence(kaocha_jieguo, "考察结果") if r["hege"]}
    hires = [dict(c) for c in sequence(ni_pinyong, "拟聘用人员") if c["shenfenzheng_hao"] in fit & vetted]
    text = f"{gangwei_mingcheng}拟聘用人员：" + "、".join(
        f"{c['xingming']}（总成绩 {c['zongchengji']}）" for c in hires
    )
    return hires, text


def fh_next_hire(luyong_mingdan: Any, yingpin_mingdan: Any, banli_xuhao: Any) -> tuple[Any, ...]:
    """FH-08, FH-09: the next hire whose contract and filing are handled, with the education of
    their application prefilled for the filing. Returns (banli_xuhao, xingming, shenfenzheng_hao,
    xueli, quanrizhi)."""
    index = banli_xuhao + 1
    hire = mapping(sequence(luyong_mingdan, "录用人员名单")[index], "录用人员")
    application = next(
        a
        for a in sequence(yingpin_mingdan, "报名登记表")
        if a["shenfenzheng_hao"] == hire["shenfenzheng_hao"]
    )
    return index, hire["xingming"], hire["shenfenzheng_hao"], application["xueli"], application["quanrizhi"]


def fh_hire_done(
    luyong_mingdan: Any,
    banli_xuhao: Any,
    ruzhi_riqi: Any,
    hetong_riqi: Any,
    hetong_qixian_nian: Any,
    beian_jilu: Any,
) -> tuple[Any, ...]:
    """FH-08, FH-09: the hire's contract and filing recorded (fh_record_hire). Returns
    (luyong_mingdan, hetong_yuqi, beian_yuqi): whether any contract or filing was late."""
    hires = fh_record_hire(
        luyong_mingdan, banli_xuhao, ruzhi_riqi, hetong_riqi, hetong_qixian_nian, beian_jilu
    )
    return (
        hires,
        any(h.get("hetong_yuqi", False) for h in hires),
        any(h.get("beian_yuqi", False) for h in hires),
    )


def fh_archive(
    gonggao: Any,
    yingpin_mingdan: Any,
    chengji: Any,
    juxing_bishi: Any,
    luyong_mingdan: Any,
    ruzhi_riqi: Any,
    gangwei_leibie: Any,
) -> dict[str, Any]:
    """FH-07: the archive kept permanently — the announcement (`gonggao`: title, date,
    registration deadline, weights), the applications, the scores and the hires."""
    return {
        "gonggao": dict(mapping(gonggao, "招聘公告")),
        "baoming": yingpin_mingdan,
        "chengji": chengji,
        "juxing_bishi": juxing_bishi,
        "luyong": luyong_mingdan,
        "ruzhi_riqi": ruzhi_riqi,
        "gangwei_leibie": gangwei_leibie,
    }
