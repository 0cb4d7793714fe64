"""奉化国企招聘 (FH-06) 递补: a proposed hire who fails the physical examination (体检) or the
inspection (考察) leaves the post, and the next-ranked candidate of that post is brought
forward for both checks.

The document (第三十四条) has 体检、考察、聘用 follow the district's rules for recruiting civil
servants, which let the recruiter fill a place left by a failed check from the same post's
ranking in order of total score (依次递补). Whether the recruiter does so is the diagram setting
`dibu` (default true); with it off a failed place stays empty.

A round is the set of proposed hires not yet checked: every one needs a physical-exam verdict;
every one who passed it needs an inspection verdict. The results of all rounds are kept in
`jianyan_jilu` (one row per person checked, with the round and whether they were brought
forward), so the hires are those of the record who passed both."""

from __future__ import annotations

from typing import Any

from service.domain.refusal import Refusal
from service.domain.registration import id_key
from service.domain.validation import mapping, sequence


def _record(jianyan_jilu: Any) -> list[dict[str, Any]]:
    return [dict(mapping(r, "体检考察记录")) for r in sequence(jianyan_jilu or [], "体检考察记录")]


def _round(ni_pinyong: Any, jianyan_jilu: Any) -> list[dict[str, Any]]:
    """The proposed hires of this round: those not yet in the record."""
    checked = {id_key(r["shenfenzheng_hao"]) for r in _record(jianyan_jilu)}
    proposed = [dict(mapping(c, "拟聘用人员")) for c in sequence(ni_pinyong, "拟聘用人员")]
    return [c for c in proposed if id_key(c["shenfenzheng_hao"]) not in checked]


def _verdicts(rows: Any, people: list[dict[str, Any]], field: str, what: str) -> dict[str, bool]:
    """One verdict per person of `people`, nobody else (refused on `field`)."""
    expected = {id_key(c["shenfenzheng_hao"]): c["xingming"] for c in people}
    verdicts: dict[str, bool] = {}
    for index, row in enumerate(sequence(rows, what)):
        number = id_key(mapping(row, what).get("shenfenzheng_hao"))
        where = f"{field}.{index}.shenfenzheng_hao"
        if number not in expected:
            raise Refusal(
                f"身份证号 {number} 不是本轮{what}的人员：本轮只{what}" + "、".join(expected.values()), where
            )
        if number in verdicts:
            raise Refusal(f"身份证号 {number} 出现了多次，每人只能填一行", where)
        verdicts[number] = bool(row.get("hege"))
    missing = [name for number, name in expected.items() if number not in verdicts]
    if missing:
        raise Refusal(f"请为本轮每位人员填写{what}结论，缺少：" + "、".join(missing), field)
    return verdicts


def fh_check_physical(ni_pinyong: Any, jianyan_jilu: Any, tijian_jieguo: Any) -> int:
    """FH-06: the physical-exam verdicts of this round cover each proposed hire not yet checked,
    once, and nobody else (refused on tijian_jieguo). Returns how many passed (0: no
    inspection this round)."""
    verdicts = _verdicts(tijian_jieguo, _round(ni_pinyong, jianyan_jilu), "tijian_jieguo", "体检")
    return sum(verdicts.values())


def fh_dibu(
    chengji: Any,
    ni_pinyong: Any,
    tijian_jieguo: Any,
    kaocha_jieguo: Any,
    jianyan_jilu: Any,
    dibu: Any,
) -> tuple[Any, ...]:
    """FH-06 递补: records this round's physical-exam and inspection verdicts (the inspection
    covers exactly those who passed the physical exam, refused on kaocha_jieguo) and, when the
    setting `dibu` allows it, brings forward as many next-ranked candidates of the post (by
    `chengji`, not yet checked) as failed this round. Returns (ni_pinyong: those still proposed
    in rank order, jianyan_jilu: the record of every round, dibu_renyuan: who was brought
    forward now — empty when the checks are over, tijian_jieguo: the next round's physical-exam
    sheet prefilled with their names)."""
    record = _record(jianyan_jilu)
    people = _round(ni_pinyong, jianyan_jilu)
    physical = _verdicts(tijian_jieguo, people, "tijian_jieguo", "体检")
    fit = [c for c in people if physical[id_key(c["shenfenzheng_hao"])]]
    vetted = _verdicts(kaocha_jieguo, fit, "kaocha_jieguo", "考察") if fit else {}
    rounds = max((r["lunci"] for r in record), default=0) + 1
    failed = 0
    for c in people:
        number = id_key(c["shenfenzheng_hao"])
        passed_physical = physical[number]
        passed = passed_physical and vetted[number]
        failed += not passed
        record.append(
            {
                "shenfenzheng_hao": c["shenfenzheng_hao"],
                "xingming": c["xingming"],
                "mingci": c.get("mingci"),
                "lunci": rounds,
                "dibu": rounds > 1,
                "tijian_hege": passed_physical,
                "kaocha_hege": vetted[number] if passed_physical else None,
                "hege": passed,
            }
        )
    checked = {id_key(r["shenfenzheng_hao"]) for r in record}
    waiting = [
        dict(c) for c in sequence(chengji, "总成绩与排名") if id_key(c["shenfenzheng_hao"]) not in checked
    ]
    allowed = dibu is True or dibu in ("允许", "true", "True", 1)
    forward = waiting[:failed] if allowed else []
    passed_ids = {id_key(r["shenfenzheng_hao"]) for r in record if r["hege"]}
    ranked = [dict(c) for c in sequence(chengji, "总成绩与排名")]
    keep = passed_ids | {id_key(c["shenfenzheng_hao"]) for c in forward}
    still = [c for c in ranked if id_key(c["shenfenzheng_hao"]) in keep]
    sheet = [{"shenfenzheng_hao": c["shenfenzheng_hao"], "xingming": c["xingming"]} for c in forward]
    return still, record, forward, sheet if forward else tijian_jieguo


def fh_hire_list(ni_pinyong: Any, jianyan_jilu: Any, gangwei_mingcheng: Any) -> tuple[Any, ...]:
    """FH-06: the people to hire are the proposed hires (递补 included) who passed both the
    physical examination and the inspection, in rank order. Returns (luyong_mingdan,
    gongshi_neirong)."""
    passed = {id_key(r["shenfenzheng_hao"]) for r in _record(jianyan_jilu) if r["hege"]}
    hires = [dict(c) for c in sequence(ni_pinyong, "拟聘用人员") if id_key(c["shenfenzheng_hao"]) in passed]
    text = f"{gangwei_mingcheng}拟聘用人员：" + "、".join(
        f"{c['xingming']}（总成绩 {c['zongchengji']}）" for c in hires
    )
    return hires, text
