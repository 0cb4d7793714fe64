"""开发区两批次竞聘上岗 (KF): the batches and the judges' score sheets.

A batch is one instance. Batch 2 starts from batch 1's case (the read-only snapshot
`laiyuan_shili` the service hands over for `source_instance_id`) and offers exactly the posts
batch 1 left unfilled (KF-14). A judge's sheet lists the candidates they must score, by number,
name and post (X-05: no ID numbers); the sheet comes back with one entry per listed pair.
"""

from __future__ import annotations

from typing import Any

from service.domain.refusal import Refusal
from service.domain.scoring import trimmed_mean
from service.domain.validation import mapping, sequence

MIN_VALID_SCORES = 3  # KF-07 drops one highest and one lowest: at least three are needed


def _posts(value: Any, what: str, field: str) -> list[dict[str, Any]]:
    posts = [dict(mapping(p, "竞聘岗位")) for p in sequence(value, what)]
    if not posts:
        raise Refusal(f"{what}为空，无法发起竞聘批次", field)
    names = [p.get("mingcheng") for p in posts]
    for index, post in enumerate(posts):
        # KF-01: a post is published by its name and compared by its level (KF-03).
        name = post.get("mingcheng")
        if not isinstance(name, str) or not name.strip():
            raise Refusal(f"第 {index + 1} 个竞聘岗位缺少岗位名称", f"{field}.{index}.mingcheng")
        level = post.get("cengji")
        if isinstance(level, bool) or not isinstance(level, int) or level < 1:
            raise Refusal(f"竞聘岗位「{name}」的层级应为不小于 1 的整数", f"{field}.{index}.cengji")
    for index, name in enumerate(names):
        if names.index(name) != index:
            raise Refusal(f"竞聘岗位「{name}」重复", f"{field}.{index}.mingcheng")
    return posts


def kf_batch_posts(
    source: Any, pici: Any, gangwei_list: Any, default_posts: Any, zone: Any, process: Any
) -> dict[str, Any]:
    """KF-01, KF-14: the posts of a batch.

    Batch 1 (no source case) offers `gangwei_list` when the start gives one, else the plan's
    list `default_posts` (setting gangwei_qingdan). Batch 2 must start from a completed batch 1
    of the same zone (`process`, `zone`; refused on field source_instance_id otherwise) and offers
    exactly the posts batch 1 left unfilled (its `weitianbu_gangwei`, with the places still
    open): a given `gangwei_list` naming any other post is refused on that entry. A batch number
    other than 1 or 2, batch 1 with a source case and batch 2 without one are refused.
    Returns {"pici", "gangwei_list", "diyi_pici": batch 1's instance id or None,
    "piyi_luoxuan": batch 1's unsuccessful competitors ([] for batch 1)}."""
    if pici is None:
        pici = 1 if source is None else 2
    if pici not in (1, 2):
        raise Refusal(f"竞聘批次应为 1 或 2，收到 {pici!r}", "pici")
    if pici == 1:
        if source is not None:
            raise Refusal(
                "第一批次不依据其他案件发起：请去掉来源实例，或按第二批次（pici=2）发起", "source_instance_id"
            )
        chosen = default_posts if gangwei_list is None else gangwei_list
        return {
            "pici": 1,
            "gangwei_list": _posts(chosen, "竞聘岗位清单", "gangwei_list"),
            "diyi_pici": None,
            "piyi_luoxuan": [],
        }
    if source is None:
        raise Refusal(
            "第二批次承接第一批次未填补的岗位（KF-14）：发起时请指定第一批次的案件为来源实例",
            "source_instance_id",
        )
    case = mapping(source, "来源实例")
    name = case.get("business_key") or case.get("id")
    data = mapping(case.get("data") or {}, "第一批次数据")
    if case.get("definition_key") != process or data.get("pici") != 1:
        raise Refusal(
            f"来源实例 {name} 不是开发区竞聘上岗的第一批次，不能据此发起第二批次", "source_instance_id"
        )
    if data.get("kaifaqu_mingcheng") != zone:
        raise Refusal(
            f"来源实例 {name} 是「{data.get('kaifaqu_mingcheng')}」的竞聘，不是「{zone}」的第一批次",
            "source_instance_id",
        )
    if case.get("status") != "completed":
        raise Refusal(
            f"第一批次 {name} 尚未结束（当前状态：{case.get('status')}），结束后方可发起第二批次",
            "source_instance_id",
        )
    leftover = _posts(data.get("weitianbu_gangwei") or [], "第一批次未填补的岗位", "source_instance_id")
    if gangwei_list is not None:
        by_name = {p["mingcheng"]: p for p in leftover}
        offered = _posts(gangwei_list, "竞聘岗位清单", "gangwei_list")
        for index, post in enumerate(offered):
            if post.get("mingcheng") not in by_name:
                raise Refusal(
                    f"「{post.get('mingcheng')}」不是第一批次未填补的岗位，第二批次只承接："
                    + "、".join(by_name),
                    f"gangwei_list.{index}.mingcheng",
                )
        missing = [n for n in by_name if n not in {p["mingcheng"] for p in offered}]
        if missing:
            raise Refusal(
                f"第二批次须承接第一批次全部未填补的岗位，缺少：{'、'.join(missing)}", "gangwei_list"
            )
    return {
        "pici": 2,
        "gangwei_list": leftover,
        "diyi_pici": case.get("id"),
        "piyi_luoxuan": list(data.get("piyi_luoxuan") or []),
    }


def kf_unfilled_posts(gangwei_list: Any, pinyong_jieguo: Any) -> list[dict[str, Any]]:
    """KF-14: the posts a batch left unfilled, each with the places still open as `renshu`."""
    filled: dict[Any, int] = {}
    for hire in sequence(pinyong_jieguo, "聘用结果"):
        post = mapping(hire, "聘用结果").get("gangwei")
        filled[post] = filled.get(post, 0) + 1
    left = []
    for post in sequence(gangwei_list, "竞聘岗位清单"):
        post = dict(mapping(post, "竞聘岗位"))
        places = post.get("renshu", 1) - filled.get(post.get("mingcheng"), 0)
        if places > 0:
            if "renshu" in post or places != 1:
                post["renshu"] = places
            left.append(post)
    return left


def kf_score_list(jingpin_renyuan: Any) -> list[dict[str, Any]]:
    """KF-07, X-05: what every judge scores — one line per competitor and post applied for, with
    the competitor's number (`bianhao`, order of the confirmed list), name and post; no ID number."""
    lines = []
    for person in sequence(jingpin_renyuan, "竞聘人员名单"):
        person = mapping(person, "竞聘人员")
        for post in sequence(person.get("baokao_gangwei", []), "报考岗位"):
            lines.append({"bianhao": person["bianhao"], "xingming": person["xingming"], "gangwei": post})
    return lines


def kf_blank_sheet(mingdan: Any) -> list[dict[str, Any]]:
    """The score sheet a judge opens: every line of the list, pre-filled, not yet scored."""
    return [dict(mapping(line, "评分名单"), huibi=False) for line in sequence(mingdan, "评分名单")]


def kf_judge_sheet(mingdan: Any, pingfen: Any, pingwei: Any) -> dict[str, Any]:
    """KF-07, X-02: a judge's completed sheet, checked against the list they must score.

    Every line of `mingdan` (competitor number and post) must be answered once, with a score or
    a declared 回避: an entry for someone not on the list, a second entry for the same line and a
    missing line are refused on the entry (field pingfen.<n>.bianhao) or on pingfen. Returns
    {"pingwei": judge, "pingfen": entries in list order, each with number, name and post}."""
    expected = {(line["bianhao"], line["gangwei"]): line for line in map(dict, sequence(mingdan, "评分名单"))}
    seen: dict[tuple[Any, Any], dict[str, Any]] = {}
    for index, entry in enumerate(sequence(pingfen, "评分")):
        entry = dict(mapping(entry, "评分条目"))
        key = (entry.get("bianhao"), entry.get("gangwei"))
        if key not in expected:
            raise Refusal(
                f"第 {index + 1} 条：编号 {key[0]} 的竞聘者没有报考「{key[1]}」，不在您的评分名单中",
                f"pingfen.{index}.bianhao",
            )
        if key in seen:
            raise Refusal(
                f"第 {index + 1} 条：{expected[key]['xingming']}（{key[1]}）已评过一次，每人每岗只评一次",
                f"pingfen.{index}.bianhao",
            )
        seen[key] = dict(entry, xingming=expected[key]["xingming"])
    missing = [
        f"{line['xingming']}（{line['gangwei']}）" for key, line in expected.items() if key not in seen
    ]
    if missing:
        raise Refusal(f"评分表缺少：{'、'.join(missing)}；请逐一评分或声明回避", "pingfen")
    return {"pingwei": pingwei, "pingfen": [seen[key] for key in expected]}


def kf_interview_scores(jingpin_renyuan: Any, sheets: Any) -> dict[str, Any]:
    """KF-07, X-02: each competitor's interview score per post — the mean of the judges' scores
    without the highest and the lowest, judges who declared 回避 not counted. Returns
    {"mianshi_chengji": per competitor and post {gangwei, bianhao, shenfenzheng_hao, xingming,
    pingwei_defen, huibi_pingwei, mianshi_defen} or None, "pingfen_buzu": the pairs with fewer
    than 3 valid scores (the round is void and the office organises the interview again)}."""
    sheets = [mapping(s, "评委的评分表") for s in sequence(sheets, "评分表")]
    results = []
    shortfall = []
    for person in sequence(jingpin_renyuan, "竞聘人员名单"):
        person = mapping(person, "竞聘人员")
        for post in person.get("baokao_gangwei", []):
            scores: list[Any] = []
            recused: list[dict[str, Any]] = []
            for sheet in sheets:
                for entry in sheet.get("pingfen", []):
                    if entry.get("bianhao") != person["bianhao"] or entry.get("gangwei") != post:
                        continue
                    if entry.get("huibi"):
                        recused.append(
                            {"pingwei": sheet.get("pingwei"), "guanxi": entry.get("huibi_guanxi", "")}
                        )
                    else:
                        scores.append(entry["defen"])
            if len(scores) < MIN_VALID_SCORES:
                shortfall.append(
                    {
                        "shenfenzheng_hao": person["shenfenzheng_hao"],
                        "xingming": person["xingming"],
                        "gangwei": post,
                        "youxiao_pingfen_shu": len(scores),
                    }
                )
            results.append(
                {
                    "gangwei": post,
                    "bianhao": person["bianhao"],
                    "shenfenzheng_hao": person["shenfenzheng_hao"],
                    "xingming": person["xingming"],
                    "pingwei_defen": scores,
                    "huibi_pingwei": recused,
                }
            )
    if shortfall:
        return {"mianshi_chengji": None, "pingfen_buzu": shortfall}
    for result in results:
        result["mianshi_defen"] = trimmed_mean(result["pingwei_defen"])
    return {"mianshi_chengji": results, "pingfen_buzu": []}


def kf_number_competitors(people: Any) -> list[dict[str, Any]]:
    """The confirmed competitors, numbered 01, 02 … in list order (the number judges score by)."""
    return [
        dict(mapping(p, "竞聘人员"), bianhao=f"{i:02d}")
        for i, p in enumerate(sequence(people, "竞聘人员名单"), 1)
    ]
