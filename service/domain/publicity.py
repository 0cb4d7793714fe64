"""公示 (publicity) shared by every procedure (JB-06, JB-16, KF-13, SS-07, X-04).

A period is counted from the day the notice was posted (X-04), which the clerk enters; it may
not be dated before the decision being publicised or before the step was opened, nor in the
future beyond a margin the diagram sets. Objections (real-name, with facts) are kept in a dict
keyed by objection id, so that several can be open at once; each has an investigation deadline
whose overdue flag, once set, stays. The investigating role reports a finding; the deciding
body decides. The publicity is settled only once every objection is decided.

Each function returns new values (the caller's dict is never changed in place), and each field
of an entry is written by one step only: the diagram's parallel branches each hold their own
copy of the dict, which the engine unites entry by entry when the period's subprocess closes.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from service.domain.dates import as_date, past_deadline
from service.domain.refusal import Refusal
from service.domain.validation import count, mapping

SUSTAINED = "异议成立"
UNFOUNDED = "异议不成立"
NONE = "无异议"
DECISIONS = (SUSTAINED, UNFOUNDED)


def gs_check_days(gongshi_tianshu: Any) -> int:
    """JB-06, JB-16, KF-13, SS-07: the length of a publicity, a whole number of days ≥ 1."""
    if isinstance(gongshi_tianshu, bool) or not isinstance(gongshi_tianshu, int) or gongshi_tianshu < 1:
        raise ValueError(f"公示天数 gongshi_tianshu 应为不小于 1 的整数，收到 {gongshi_tianshu!r}")
    return gongshi_tianshu


def gs_posting_start(
    gongshi_zhangtie_riqi: Any, decided_on: Any, opened_on: Any, today: Any, future_margin: Any = 0
) -> str:
    """X-04, JB-16, KF-13: the start of the period (`gongshi_kaiqi_riqi`, ISO date): the posting
    date the clerk entered. Refused (field gongshi_zhangtie_riqi) when it is before the decision
    being publicised (`decided_on`), before the posting step was opened (`opened_on`), or later
    than `today` plus `future_margin` days (the diagram setting zhangtie_weilai_tianshu, 0 by
    default: no future date)."""
    field = "gongshi_zhangtie_riqi"
    try:
        posted = as_date(gongshi_zhangtie_riqi, "公示张贴日期")
    except ValueError as error:
        raise Refusal(str(error), field) from None
    earliest = as_date(decided_on, "公示依据的决定日期")
    if posted < earliest:
        raise Refusal(
            f"公示张贴日期 {posted.isoformat()} 早于所公示事项的决定日期 {earliest.isoformat()}："
            "公示须在决定之后张贴",
            field,
        )
    opened = as_date(opened_on, "登记步骤开始日期")
    if posted < opened:
        raise Refusal(
            f"公示张贴日期 {posted.isoformat()} 早于本登记步骤开始的日期 {opened.isoformat()}："
            "请填写实际张贴公示的日期",
            field,
        )
    margin = count(future_margin, "可提前登记的天数")
    latest = as_date(today, "今天") + timedelta(days=margin)
    if posted > latest:
        allowed = "不能晚于今天" if margin == 0 else f"最多晚于今天 {margin} 天"
        raise Refusal(
            f"公示张贴日期 {posted.isoformat()} 尚未到来：张贴日期{allowed}（{latest.isoformat()}），"
            "请在张贴后登记",
            field,
        )
    return posted.isoformat()


def gs_register_objection(
    gongshi_yiyi_jilu: Any,
    jubaoren: Any,
    lianxi_fangshi: Any,
    shishi: Any,
    dengji_shijian: Any,
    hecha_jiezhi: Any,
    zhengju_fujian: Any = (),
) -> tuple[dict[str, Any], str]:
    """X-04: registers one real-name objection with its facts: returns the objection dict with the
    new entry (id `YY-001`, `YY-002`, … in order of registration) and the new id. The entry holds
    the reporter, contact, facts, the evidence files (zhengju_fujian), when it was registered and
    the investigation deadline (hecha_jiezhi); findings and decisions are added later, by the
    steps that make them."""
    records = {
        str(k): dict(mapping(v, "异议记录")) for k, v in mapping(gongshi_yiyi_jilu or {}, "异议记录").items()
    }
    if not str(jubaoren or "").strip() or not str(shishi or "").strip():
        raise Refusal("异议须实名提出并写明具体事实，匿名或没有事实的反映不予受理", "jubaoren")
    bianhao = f"YY-{len(records) + 1:03d}"
    records[bianhao] = {
        "yiyi_bianhao": bianhao,
        "jubaoren": jubaoren,
        "lianxi_fangshi": lianxi_fangshi,
        "shishi": shishi,
        "zhengju_fujian": [dict(mapping(f, "证明材料")) for f in zhengju_fujian or ()],
        "dengji_shijian": dengji_shijian,
        "hecha_jiezhi": str(hecha_jiezhi),
    }
    return records, bianhao


def _entry(records: Any, bianhao: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    copied = {str(k): dict(mapping(v, "异议记录")) for k, v in mapping(records or {}, "异议记录").items()}
    key = str(bianhao)
    if key not in copied:
        raise ValueError(f"没有编号为 {bianhao!r} 的异议")
    return copied, copied[key]


def gs_mark_overdue(gongshi_yiyi_jilu: Any, yiyi_bianhao: Any) -> dict[str, Any]:
    """X-04, JB-16: the investigation of objection `yiyi_bianhao` passed its deadline
    (hecha_gongzuori working days after registration): hecha_yuqi is set and stays set."""
    records, entry = _entry(gongshi_yiyi_jilu, yiyi_bianhao)
    entry["hecha_yuqi"] = True
    return records


def gs_record_finding(
    gongshi_yiyi_jilu: Any,
    yiyi_bianhao: Any,
    hecha_jieguo: Any,
    hecha_shuoming: Any,
    fankui_jubaoren: Any,
    done_at: Any,
) -> dict[str, Any]:
    """JB-16, X-04: the investigating role's finding on objection `yiyi_bianhao` (成立 or 不成立,
    with its grounds and the feedback to the reporter) and when it was made. hecha_yuqi is true
    when it was made after the deadline, and stays true once an earlier step set it."""
    if hecha_jieguo not in DECISIONS:
        raise Refusal(f"核查结论应为「{SUSTAINED}」或「{UNFOUNDED}」，收到 {hecha_jieguo!r}", "hecha_jieguo")
    records, entry = _entry(gongshi_yiyi_jilu, yiyi_bianhao)
    late = past_deadline(entry["hecha_jiezhi"], done_at)
    entry.update(
        {
            "hecha_jieguo": hecha_jieguo,
            "hecha_shuoming": hecha_shuoming,
            "fankui_jubaoren": fankui_jubaoren,
            "hecha_shijian": done_at,
            "hecha_yuqi": bool(entry.get("hecha_yuqi")) or late,
        }
    )
    return records


def gs_record_decision(
    gongshi_yiyi_jilu: Any, yiyi_bianhao: Any, yiyi_jueding: Any, yiyi_jueding_shuoming: Any, done_at: Any
) -> dict[str, Any]:
    """JB-16: the deciding body's decision on objection `yiyi_bianhao`, after the finding: 异议成立
    or 异议不成立, with its grounds and when it was made. A decision before the finding is refused."""
    if yiyi_jueding not in DECISIONS:
        raise Refusal(f"决定应为「{SUSTAINED}」或「{UNFOUNDED}」，收到 {yiyi_jueding!r}", "yiyi_jueding")
    records, entry = _entry(gongshi_yiyi_jilu, yiyi_bianhao)
    if "hecha_jieguo" not in entry:
        raise Refusal(f"异议 {yiyi_bianhao} 尚未核查完毕，不能作出决定", "yiyi_jueding")
    entry.update(
        {
            "yiyi_jueding": yiyi_jueding,
            "yiyi_jueding_shuoming": yiyi_jueding_shuoming,
            "jueding_shijian": done_at,
        }
    )
    return records


def gs_objection_list(gongshi_yiyi_jilu: Any) -> list[dict[str, Any]]:
    """JB-18, X-04: the objections of one publicity as a list in order of registration (for the
    publicity's record gongshi_lishi and the dossier)."""
    records: Mapping[str, Any] = mapping(gongshi_yiyi_jilu or {}, "异议记录")
    return [dict(records[key]) for key in sorted(records)]


def gs_outcome(gongshi_yiyi_jilu: Any) -> str:
    """X-04, JB-16, KF-13: the result once the period has ended and every objection is decided:
    无异议 without objections, 异议成立 when the deciding body sustained any, else 异议不成立.
    An objection still undecided is an error: the publicity cannot be settled before it."""
    records = gs_objection_list(gongshi_yiyi_jilu)
    open_ = [r.get("yiyi_bianhao") for r in records if r.get("yiyi_jueding") not in DECISIONS]
    if open_:
        raise ValueError(f"异议 {'、'.join(map(str, open_))} 尚未作出决定，公示不能结束")
    if not records:
        return NONE
    return SUSTAINED if any(r["yiyi_jueding"] == SUSTAINED for r in records) else UNFOUNDED
