"""X-02: a judge who declares 回避 for a candidate gives that candidate no score; the candidate's
valid scores are the other judges'. A candidate whom every judge of the panel had to recuse
has no valid score at all, so the round cannot rank them: the round is void and the body that
appoints the panel (JB: 党委, JB-07) reconvenes it, as KF and FH do. The voided sheets stay on
record (JB-18).

A judge's sheet is {"pingwei": <account>, "pingfen": [entry, …]}; an entry names the candidate
(`xingming`) and either declares {"huibi": true, "huibi_guanxi": …} or carries the scores.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from service.domain.ranking import all_below, top_tied
from service.domain.refusal import Refusal
from service.domain.scoring import average, jb_interview_score, qa_score, speech_score
from service.domain.validation import mapping, sequence


def recusal_split(
    sheets: Any, candidate: Any, judge: str = "pingwei", entries: str = "pingfen", key: str = "xingming"
) -> tuple[list[tuple[Any, Mapping[str, Any]]], list[Any]]:
    """X-02: for one candidate, the (judge, entry) pairs of the judges who scored and the judges
    who declared 回避, in sheet order."""
    scored: list[tuple[Any, Mapping[str, Any]]] = []
    recused: list[Any] = []
    for sheet in sequence(sheets, "评分表"):
        sheet = mapping(sheet, "评委的评分表")
        for entry in sequence(sheet.get(entries, []), "评分表条目"):
            entry = mapping(entry, "评分表条目")
            if entry.get(key) != candidate:
                continue
            if entry.get("huibi"):
                recused.append(sheet.get(judge))
            else:
                scored.append((sheet.get(judge), entry))
    return scored, recused


def _shortfall(name: Any, recused: list[Any]) -> dict[str, Any]:
    return {"xingming": name, "huibi_pingwei": recused}


def jb_interview_results(sheets: Any, candidates: Any, pass_mark: Any = 80) -> dict[str, Any]:
    """JB-11, JB-12, JB-13, X-02: the interview round from the judges' sheets.

    Each candidate's speech and Q&A totals (JB-09, JB-10) over the judges who did not declare
    回避, and 50 % + 50 % of their means (JB-11). Returns {"chengji": per candidate
    {xingming, yanjiang, dabian, huibi_pingwei, defen}, "bingli": the names tied at the top
    (JB-12, empty when one leads), "kaocha_duixiang": the top scorer, "quanbu_dibao": every
    score below `pass_mark` (JB-13), "buzu": []}. When a candidate has no valid score (every
    judge declared 回避) the round is void: "buzu" lists those candidates with the judges who
    recused, "chengji" and "bingli" are empty and "kaocha_duixiang" is None."""
    results = []
    shortfall = []
    for name in sequence(candidates, "揭榜对象名单"):
        scored, recused = recusal_split(sheets, name)
        if not scored:
            shortfall.append(_shortfall(name, recused))
            continue
        speech = [speech_score(entry["yanjiang"]) for _, entry in scored]
        qa = [qa_score(entry["dabian"]) for _, entry in scored]
        results.append(
            {
                "xingming": name,
                "yanjiang": speech,
                "dabian": qa,
                "huibi_pingwei": recused,
                "defen": jb_interview_score(speech, qa),
            }
        )
    return _outcome(results, shortfall, pass_mark)


def jb_second_round_results(sheets: Any, candidates: Any) -> dict[str, Any]:
    """JB-12, X-02: the second round of Q&A between the tied candidates: each one's mean Q&A
    total (JB-10) over the judges who did not declare 回避; the same shape as
    jb_interview_results (without "quanbu_dibao"), void the same way when a candidate has no
    valid score."""
    results = []
    shortfall = []
    for name in sequence(candidates, "第二轮答辩名单"):
        scored, recused = recusal_split(sheets, name)
        if not scored:
            shortfall.append(_shortfall(name, recused))
            continue
        qa = [qa_score(entry["dabian"]) for _, entry in scored]
        results.append({"xingming": name, "dabian": qa, "huibi_pingwei": recused, "defen": average(qa)})
    outcome = _outcome(results, shortfall, None)
    del outcome["quanbu_dibao"]
    return outcome


def _outcome(
    results: list[dict[str, Any]], shortfall: list[dict[str, Any]], pass_mark: Any
) -> dict[str, Any]:
    if not results and not shortfall:
        raise ValueError("名单为空，没有可计分的揭榜对象")
    if shortfall:
        return {
            "chengji": [],
            "buzu": shortfall,
            "bingli": [],
            "kaocha_duixiang": None,
            "quanbu_dibao": False,
        }
    return {
        "chengji": results,
        "buzu": [],
        "bingli": [e["xingming"] for e in top_tied(results, "defen")],
        # The highest score; among equals the first in list order (they go to another round).
        "kaocha_duixiang": sorted(results, key=lambda e: -e["defen"])[0]["xingming"],
        "quanbu_dibao": all_below([e["defen"] for e in results], pass_mark)
        if pass_mark is not None
        else False,
    }


def check_panel_can_score(panel: Any, shortfall: Any) -> None:
    """X-02, JB-07: a panel reconvened after a void round must be able to score every candidate
    who had no valid score: a panel made only of judges who recused for one of them is refused
    (field pingwei_list)."""
    members = set(sequence(panel, "评审组名单"))
    for item in sequence(shortfall or [], "缺少有效评分的名单"):
        item = mapping(item, "缺少有效评分的记录")
        recused = set(item.get("huibi_pingwei", []))
        if members and members <= recused:
            raise Refusal(
                f"评审组成员均已声明与「{item.get('xingming')}」回避，仍无法为其评分：请更换或增补评委",
                "pingwei_list",
            )
