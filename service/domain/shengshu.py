"""省属企业市场化选聘 (SS): the comparison, the inspection and the proposal checked against the
registration the board made, and the publicity against the decision."""

from __future__ import annotations

from typing import Any

from service.domain.dates import as_date
from service.domain.refusal import Refusal
from service.domain.validation import mapping, sequence


def _registered(houxuanren: Any) -> dict[Any, dict[str, Any]]:
    return {
        p["xingming"]: dict(p)
        for p in map(lambda r: mapping(r, "报名人选"), sequence(houxuanren, "报名人选"))
    }


def ss_comparison(houxuanren: Any, kaoping_jieguo: Any) -> list[Any]:
    """SS-03, SS-04: the comprehensive evaluation compares every qualified candidate (差额比选):
    one who is not registered or did not pass the review is refused on the entry
    (kaoping_jieguo.<n>.xingming), a second entry for the same person too, and a sheet leaving
    out a qualified candidate is refused on kaoping_jieguo. Returns the evaluated names."""
    qualified = [n for n, p in _registered(houxuanren).items() if p.get("zige_shencha") == "通过"]
    seen: list[Any] = []
    for index, entry in enumerate(sequence(kaoping_jieguo, "综合考评结果")):
        name = mapping(entry, "综合考评结果").get("xingming")
        if name not in qualified:
            raise Refusal(
                f"「{name}」不是资格审查合格的报名人选，不能参加综合考评", f"kaoping_jieguo.{index}.xingming"
            )
        if name in seen:
            raise Refusal(f"「{name}」已录入一次综合考评结果", f"kaoping_jieguo.{index}.xingming")
        seen.append(name)
    missing = [n for n in qualified if n not in seen]
    if missing:
        raise Refusal(
            f"差额比选须对资格审查合格的全部人选进行综合考评（SS-04），缺少：{'、'.join(map(str, missing))}",
            "kaoping_jieguo",
        )
    return seen


def ss_check_inspection(houxuanren: Any, kaoping_names: Any, kaocha_duixiang: Any) -> None:
    """SS-05: the inspected are candidates of the comprehensive evaluation, each with the source
    (内部 / 外部) they registered with: an external candidate keeps the background check and
    cannot be turned internal (refused on kaocha_duixiang.<n>.laiyuan)."""
    registered = _registered(houxuanren)
    evaluated = list(sequence(kaoping_names, "综合考评人选"))
    for index, entry in enumerate(sequence(kaocha_duixiang, "考察对象")):
        entry = mapping(entry, "考察对象")
        name = entry.get("xingming")
        if name not in evaluated:
            raise Refusal(
                f"「{name}」没有参加综合考评，不能作为考察对象", f"kaocha_duixiang.{index}.xingming"
            )
        source = registered[name].get("laiyuan")
        if entry.get("laiyuan") != source:
            raise Refusal(
                f"「{name}」报名时为{source}人选，考察时不能改为{entry.get('laiyuan')}人选"
                + ("（外部人选须做背景调查）" if source == "外部" else ""),
                f"kaocha_duixiang.{index}.laiyuan",
            )


GENERAL_MANAGER = "总经理"
NOMINATION_COMMITTEE = "董事会提名委员会"
BOARD = "董事会"


def ss_roles(gangwei: Any) -> tuple[str, str]:
    """Who nominates the candidates and who signs the contract (辽国资〔2020〕44号 二(一)4、
    三(一)4): the board's nomination committee nominates a 总经理, whom the chairman signs with
    for the board; the 总经理 nominates the deputies (副总经理, 总会计师) and signs their
    contracts. Returns (timing_juese, hetong_qianshu_juese), the roles of those two steps."""
    if gangwei == GENERAL_MANAGER:
        return NOMINATION_COMMITTEE, BOARD
    return GENERAL_MANAGER, GENERAL_MANAGER


def ss_nomination(kaocha_duixiang: Any, timing_renxuan: Any) -> list[Any]:
    """SS-06: the nominator (ss_roles) nominates from the inspected candidates, each once (refused
    on timing_renxuan.<n>.xingming). Returns the nominated names (timing_xingming)."""
    inspected = [mapping(e, "考察对象").get("xingming") for e in sequence(kaocha_duixiang, "考察对象")]
    names: list[Any] = []
    for index, entry in enumerate(sequence(timing_renxuan, "提名人选")):
        name = mapping(entry, "提名人选").get("xingming")
        if name not in inspected:
            raise Refusal(f"「{name}」未经组织考察，不能提名", f"timing_renxuan.{index}.xingming")
        if name in names:
            raise Refusal(f"「{name}」已提名一次", f"timing_renxuan.{index}.xingming")
        names.append(name)
    if not names:
        raise Refusal("请至少提名一名经考察的人选", "timing_renxuan")
    return names


def ss_proposal(
    houxuanren: Any,
    kaocha_duixiang: Any,
    niding_renxuan: Any,
    gangwei_shuliang: Any,
    timing_xingming: Any = None,
) -> dict[str, Any]:
    """SS-06: the party committee proposes at most one name per post, each a registered candidate
    who was inspected and, where a nomination was made (`timing_xingming`, ss_nomination), was
    nominated (refused on niding_renxuan.<n>.xingming otherwise, a name twice too; more names
    than posts on niding_renxuan). Two posts take two names, one contract each. Returns
    {"niding_xingming": the names joined with 、, "niding_renxuan": each name with the source it
    registered with}."""
    registered = _registered(houxuanren)
    inspected = [mapping(e, "考察对象").get("xingming") for e in sequence(kaocha_duixiang, "考察对象")]
    nominated = None if timing_xingming is None else list(sequence(timing_xingming, "提名人选"))
    names: list[Any] = []
    chosen = []
    for index, entry in enumerate(sequence(niding_renxuan, "拟聘任人选")):
        entry = dict(mapping(entry, "拟聘任人选"))
        name = entry.get("xingming")
        if name not in registered:
            raise Refusal(f"「{name}」没有报名，不能作为拟聘任人选", f"niding_renxuan.{index}.xingming")
        if name not in inspected:
            raise Refusal(f"「{name}」未经组织考察，不能作为拟聘任人选", f"niding_renxuan.{index}.xingming")
        if nominated is not None and name not in nominated:
            raise Refusal(
                f"「{name}」未获提名（提名人选：{'、'.join(map(str, nominated))}），不能作为拟聘任人选",
                f"niding_renxuan.{index}.xingming",
            )
        if name in names:
            raise Refusal(f"「{name}」已在拟聘任人选中", f"niding_renxuan.{index}.xingming")
        names.append(name)
        chosen.append(dict(entry, laiyuan=registered[name].get("laiyuan")))
    if len(names) > gangwei_shuliang:
        raise Refusal(
            f"选聘岗位 {gangwei_shuliang} 个，拟聘任人选不能多于岗位数（收到 {len(names)} 人）",
            "niding_renxuan",
        )
    return {"niding_xingming": "、".join(map(str, names)), "niding_renxuan": chosen}


def ss_publicity_start(jueding_riqi: Any, gongshi_kaishi: Any) -> None:
    """SS-07: the pre-appointment publicity follows the board's decision: a publicity dated before
    the decision is refused (field gongshi_kaishi)."""
    if as_date(gongshi_kaishi, "任前公示开始日期") < as_date(jueding_riqi, "聘任决定日期"):
        raise Refusal(
            f"任前公示开始日期 {gongshi_kaishi} 早于聘任决定日期 {jueding_riqi}：公示须在作出聘任决定之后",
            "gongshi_kaishi",
        )
