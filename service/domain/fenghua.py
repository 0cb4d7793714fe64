"""奉化区国有企业人员管理办法 (seeds/fenghua-guoqi-renyuan-guanli.txt): the approved annual plan a
recruitment starts from (FH-01), education with its study mode (FH-02), 核减 (FH-03), the
records of a hire's contract and filing (FH-08, FH-09).

Whether a step was late is a fact of the record, computed from the dates when the step is
done — not a flag an escalation branch sets and a later step could lose.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from service.domain.dates import as_date, past_deadline, shift_months
from service.domain.refusal import Refusal
from service.domain.validation import count, entries_list, mapping, sequence


def fh_filing_record(
    beian_leixing: Any,
    biandong_riqi: Any,
    beian_jiezhi: Any,
    beian_jieguo: Any,
    beian_bianhao: Any,
    done_at: Any,
) -> dict[str, Any]:
    """FH-09: the record of one filing (备案) of a hire or a departure: its type and date, the
    deadline (15 working days after the date, `beian_jiezhi`), the centre's result and number,
    when it was done and whether that was after the deadline (beian_yuqi)."""
    return {
        "beian_leixing": beian_leixing,
        "biandong_riqi": as_date(biandong_riqi, "入职或离职日期").isoformat(),
        "beian_jiezhi": beian_jiezhi,
        "beian_jieguo": beian_jieguo,
        "beian_bianhao": beian_bianhao,
        "banjie_shijian": done_at,
        "beian_yuqi": past_deadline(beian_jiezhi, done_at),
    }


def fh_record_hire(
    hires: Any, index: Any, ruzhi_riqi: Any, hetong_riqi: Any, hetong_qixian_nian: Any, beian_jilu: Any
) -> list[dict[str, Any]]:
    """FH-08, FH-09: the list of hires with hire number `index` (0-based) completed once its
    contract and filing are both done: the contract date and term, whether it was signed later
    than one month after the start date (hetong_yuqi), and the filing's result, number, deadline
    and lateness (beian_yuqi). The other hires are unchanged; a new list is returned."""
    people = entries_list(hires, "录用人员名单")
    position = count(index, "录用人员序号")
    if position >= len(people):
        raise ValueError(f"录用人员序号 {position} 超出名单（共 {len(people)} 人）")
    start = as_date(ruzhi_riqi, "入职日期")
    signed = as_date(hetong_riqi, "劳动合同签订日期")
    filing: Mapping[str, Any] = mapping(beian_jilu, "备案记录")
    people[position].update(
        {
            "hetong_riqi": signed.isoformat(),
            "hetong_qixian_nian": hetong_qixian_nian,
            "hetong_yuqi": signed > shift_months(start, 1),
            "beian_jieguo": filing.get("beian_jieguo"),
            "beian_bianhao": filing.get("beian_bianhao"),
            "beian_jiezhi": filing.get("beian_jiezhi"),
            "beian_yuqi": bool(filing.get("beian_yuqi")),
        }
    )
    return people


PLAN_APPROVED = "已核准"
POST_LISTS = {"管理技术岗": "guanli_jishu_gangwei", "劳务流动岗": "laowu_liudong_gangwei"}


def fh_approved_plan(source: Any, plan_process: Any, today: Any) -> dict[str, Any]:
    """FH-01: the approved annual hiring plan a recruitment starts from (`source`: the
    read-only snapshot of the plan's case the service hands over at start, or None).

    Refused (field source_instance_id) without a plan, with a case of another process, with a
    plan 区国资管理中心 has not approved, and with another year's plan. Returns the plan's id,
    business key, year, enterprise, approval date and post lists."""
    if source is None:
        raise Refusal(
            "公开招聘须依据区国资管理中心已核准的本年度用工计划：发起时请指定来源实例（该企业本年度的年度用工计划）",
            "source_instance_id",
        )
    case = mapping(source, "来源实例")
    name = case.get("business_key") or case.get("id")
    if case.get("definition_key") != plan_process:
        raise Refusal(
            f"来源实例 {name} 不是年度用工计划（{plan_process}），不能据此组织招聘", "source_instance_id"
        )
    data = mapping(case.get("data") or {}, "年度用工计划数据")
    state = data.get("jihua_zhuangtai", "待报送")
    # 已核准 is final in the plan's process (a 督办 branch may still be open beside it).
    if state != PLAN_APPROVED:
        raise Refusal(
            f"年度用工计划 {name} 尚未经区国资管理中心核准（当前状态：{state}），核准后方可组织招聘",
            "source_instance_id",
        )
    year = as_date(today, "今天").year
    if data.get("jihua_niandu") != year:
        raise Refusal(
            f"年度用工计划 {name} 是 {data.get('jihua_niandu')} 年度的，{year} 年的招聘须依据本年度计划",
            "source_instance_id",
        )
    return {
        "shili_id": case.get("id"),
        "yewu_bianhao": case.get("business_key"),
        "jihua_niandu": data.get("jihua_niandu"),
        "qiye_mingcheng": data.get("qiye_mingcheng"),
        "hezhun_riqi": data.get("hezhun_riqi"),
        "guanli_jishu_gangwei": list(data.get("guanli_jishu_gangwei") or []),
        "laowu_liudong_gangwei": list(data.get("laowu_liudong_gangwei") or []),
    }


def fh_plan_post(plan: Any, gangwei_mingcheng: Any, gangwei_leibie: Any, jihua_renshu: Any) -> dict[str, Any]:
    """FH-01: the post of the approved plan (`fh_approved_plan`) a recruitment fills. A post that
    is not in the plan's list for its category (管理技术岗 / 劳务流动岗) is refused (field
    gangwei_mingcheng), and so is a number of hires above the plan's (field jihua_renshu).
    Returns {"gangwei_jihua": the plan's entry, "xueli_yaoqiu", "zhuanye_yaoqiu", "teshu_fangkuan"}
    (no education requirement for labour posts; the special relaxation approved with the plan,
    or None)."""
    approved = mapping(plan, "年度用工计划")
    key = POST_LISTS.get(gangwei_leibie)
    if key is None:
        raise Refusal(f"岗位类别应为{'或'.join(POST_LISTS)}，收到 {gangwei_leibie!r}", "gangwei_leibie")
    posts = [mapping(p, "计划岗位") for p in approved.get(key) or []]
    entry = next((p for p in posts if p.get("gangwei_mingcheng") == gangwei_mingcheng), None)
    year = approved.get("jihua_niandu")
    if entry is None:
        listed = "、".join(str(p.get("gangwei_mingcheng")) for p in posts) or "无"
        raise Refusal(
            f"「{gangwei_mingcheng}」不在已核准的 {year} 年度{gangwei_leibie}用工计划中"
            f"（计划岗位：{listed}）",
            "gangwei_mingcheng",
        )
    wanted = count(jihua_renshu, "计划招聘人数", minimum=1)
    if wanted > entry.get("renshu", 0):
        raise Refusal(
            f"计划招聘人数 {wanted} 人超过年度用工计划为「{gangwei_mingcheng}」"
            f"核准的 {entry.get('renshu')} 人",
            "jihua_renshu",
        )
    return {
        "gangwei_jihua": dict(entry),
        "xueli_yaoqiu": entry.get("xueli_yaoqiu"),
        "zhuanye_yaoqiu": entry.get("zhuanye_yaoqiu", ""),
        "teshu_fangkuan": entry.get("teshu_fangkuan"),
    }


def fh_reduced_plan(current: Any, reduced: Any) -> int:
    """FH-03: 核减招聘计划 — the reduced number of hires must be at least 1 and fewer than the
    current plan (field hejian_hou_renshu); returns it."""
    now = count(current, "当前计划招聘人数", minimum=1)
    after = count(reduced, "核减后招聘人数", minimum=1)
    if after >= now:
        raise Refusal(
            f"核减后招聘人数须少于当前计划的 {now} 人（收到 {after} 人）；不再核减的请选择取消招聘",
            "hejian_hou_renshu",
        )
    return after


# --- FH-02: education as degrees with their study mode ---------------------------------------

EDUCATION_LEVELS = ("高中及以下", "大专", "大学本科", "硕士研究生", "博士研究生")
FULL_TIME, IN_SERVICE = "全日制", "在职"
# 学历要求 (of the approved plan's post, or of a relaxation the centre approved with it) →
# (the study mode it needs, or None for any; the lowest level).
EDUCATION_REQUIREMENTS: dict[str, tuple[str | None, str]] = {
    "全日制硕士研究生及以上": (FULL_TIME, "硕士研究生"),
    "全日制大学本科及以上": (FULL_TIME, "大学本科"),
    "全日制大专及以上": (FULL_TIME, "大专"),
    "在职大专及以上": (None, "大专"),
    "高中及以上": (None, "高中及以下"),
}


def _degrees(xueli_lie: Any) -> list[tuple[str, str]]:
    degrees = []
    for index, item in enumerate(sequence(xueli_lie, "学历"), start=1):
        degree = mapping(item, f"第 {index} 项学历")
        level, mode = degree.get("xueli"), degree.get("xuexi_xingshi")
        if level not in EDUCATION_LEVELS:
            raise Refusal(
                f"第 {index} 项学历「{level}」无法识别（应为{'、'.join(EDUCATION_LEVELS)}）", "xueli_lie"
            )
        if mode not in (FULL_TIME, IN_SERVICE):
            raise Refusal(f"第 {index} 项学历的学习形式应为全日制或在职，收到 {mode!r}", "xueli_lie")
        degrees.append((level, mode))
    if not degrees:
        raise Refusal("请至少填写一项学历", "xueli_lie")
    return degrees


def _highest(levels: list[str]) -> str | None:
    return max(levels, key=EDUCATION_LEVELS.index) if levels else None


def fh_qualification_facts(xueli_lie: Any, xueli_yaoqiu: Any, teshu_fangkuan: Any = None) -> dict[str, Any]:
    """FH-02: what the eligibility table (fenghua_zige.dmn) needs from an applicant's degrees,
    each a full-time (全日制) or in-service (在职) degree — they are separate facts, so a full-time
    bachelor with an in-service master holds a full-time bachelor's.

    `xueli_yaoqiu` is the post's requirement from the approved plan (全日制硕士研究生及以上,
    全日制大学本科及以上, 全日制大专及以上, 在职大专及以上; None: none, as for labour posts);
    `teshu_fangkuan` a relaxation 区国资管理中心 approved with the plan ({"xueli_yaoqiu": …,
    "nianling_shangxian": …}), which replaces it. Returns xueli_dabiao (the requirement is met),
    xueli_liyou (why not), quanrizhi_yanjiusheng (a full-time master's or higher: the 45-year
    limit), teshu_nianling (the approved age limit, 0 for none), zuigao_xueli and
    quanrizhi_xueli (the highest degree, and the highest full-time one or None)."""
    degrees = _degrees(xueli_lie)
    relaxed = mapping(teshu_fangkuan, "特殊岗位放宽条件") if teshu_fangkuan else {}
    requirement = relaxed.get("xueli_yaoqiu") or xueli_yaoqiu
    full_time = [level for level, mode in degrees if mode == FULL_TIME]
    facts = {
        "xueli_dabiao": True,
        "xueli_liyou": "",
        "quanrizhi_yanjiusheng": any(EDUCATION_LEVELS.index(level) >= 3 for level in full_time),
        "teshu_nianling": int(relaxed.get("nianling_shangxian") or 0),
        "zuigao_xueli": _highest([level for level, _ in degrees]),
        "quanrizhi_xueli": _highest(full_time),
    }
    if requirement is None:
        return facts
    if requirement not in EDUCATION_REQUIREMENTS:
        raise ValueError(f"无法识别的学历要求「{requirement}」（应为{'、'.join(EDUCATION_REQUIREMENTS)}）")
    mode, lowest = EDUCATION_REQUIREMENTS[requirement]
    rank = EDUCATION_LEVELS.index(lowest)
    high_enough = [(level, m) for level, m in degrees if EDUCATION_LEVELS.index(level) >= rank]
    if any(mode is None or m == mode for _, m in high_enough):
        return facts
    held = "、".join(f"{m}{level}" for level, m in degrees)
    if high_enough:
        why = f"非全日制学历，不符合本岗位「{requirement}」的要求（本人：{held}）"
    else:
        why = f"学历不符合本岗位「{requirement}」的要求（本人：{held}）"
    return {**facts, "xueli_dabiao": False, "xueli_liyou": why}


def fh_check_plan_posts(posts: Any, zaizhi_dazhuan_gangwei: Any) -> None:
    """FH-02 (第三十条（一）), FH-01: the education requirements of an annual plan's management and
    technical posts. In-service 大专 (在职大专及以上) is allowed only for the post kinds listed
    (the setting zaizhi_dazhuan_gangwei: 养老服务管理、殡葬管理、商贸市场管理、酒店管理) named in the
    post's fangkuan_gangwei_lei, or as a special relaxation (teshu_fangkuan) with its reason,
    which 区国资管理中心 approves with the plan. Refused on the post's field otherwise."""
    allowed = [str(kind) for kind in sequence(zaizhi_dazhuan_gangwei, "可放宽至在职大专的岗位")]
    for index, item in enumerate(sequence(posts, "管理技术岗计划"), start=0):
        post = mapping(item, "计划岗位")
        name = post.get("gangwei_mingcheng")
        relaxed = post.get("teshu_fangkuan")
        if relaxed and not str(mapping(relaxed, "特殊岗位放宽条件").get("liyou") or "").strip():
            raise Refusal(
                f"「{name}」的特殊岗位放宽条件须写明理由，报区国资管理中心审核同意",
                f"guanli_jishu_gangwei.{index}.teshu_fangkuan.liyou",
            )
        if post.get("xueli_yaoqiu") == "在职大专及以上" and not relaxed:
            kind = post.get("fangkuan_gangwei_lei")
            if kind not in allowed:
                raise Refusal(
                    f"「{name}」要求在职大专及以上：第三十条（一）只允许{'、'.join(allowed)}等岗位放宽到在职大专，"
                    "请注明岗位类别，或作为特殊岗位写明放宽条件与理由报区国资管理中心审核同意",
                    f"guanli_jishu_gangwei.{index}.fangkuan_gangwei_lei",
                )
