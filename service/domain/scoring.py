"""Scores: rubric sums (JB-09, JB-10), averages over judges (JB-11) and the trimmed mean
of KF-07."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from service.domain.validation import in_range, mapping, number, rounded, sequence

# JB-09 竞聘演讲 rubric: key -> (label, maximum); total 100.
SPEECH_RUBRIC: dict[str, tuple[str, int]] = {
    "biaoxian": ("表现与效果", 30),
    "lijie": ("岗位理解", 20),
    "zhishi": ("专业知识与经验", 20),
    "jiazhi": ("内容价值", 30),
}
# JB-10 命题答辩 rubric; total 100.
QA_RUBRIC: dict[str, tuple[str, int]] = {
    "yuyan": ("语言", 15),
    "fenxi": ("分析判断", 25),
    "luoji": ("逻辑思维", 20),
    "yingbian": ("应变", 25),
    "suyang": ("专业素养", 15),
}
MAX_SCORE = 100


def _rubric(items: Any, rubric: Mapping[str, tuple[str, int | float]]) -> float:
    values = mapping(items, "评分项")
    unknown = [key for key in values if key not in rubric]
    if unknown:
        raise ValueError(f"未知的评分项：{'、'.join(map(str, unknown))}（应为 {'、'.join(rubric)}）")
    missing = [f"{label}（{key}）" for key, (label, _) in rubric.items() if key not in values]
    if missing:
        raise ValueError(f"缺少评分项：{'、'.join(missing)}")
    total = sum(
        (in_range(values[key], f"{label}（{key}）得分", maximum) for key, (label, maximum) in rubric.items()),
        Decimal(0),
    )
    return rounded(total)


def rubric_total(items: Any, maxima: Any) -> float:
    """JB-09/JB-10: the sum of a judge's rubric items. Every key of `maxima` is required,
    no other key is allowed, and each item must be 0 ≤ value ≤ its maximum."""
    limits = mapping(maxima, "评分项上限")
    if not limits:
        raise ValueError("评分项上限不能为空")
    rubric = {}
    for key, maximum in limits.items():
        if number(maximum, f"评分项「{key}」的上限") < 0:
            raise ValueError(f"评分项「{key}」的上限不能为负数，收到 {maximum!r}")
        rubric[key] = (f"评分项「{key}」", maximum)
    return _rubric(items, rubric)


def speech_score(items: Any) -> float:
    """JB-09: one judge's speech score: 表现与效果 biaoxian ≤30, 岗位理解 lijie ≤20,
    专业知识与经验 zhishi ≤20, 内容价值 jiazhi ≤30."""
    return _rubric(items, SPEECH_RUBRIC)


def qa_score(items: Any) -> float:
    """JB-10: one judge's Q&A score: 语言 yuyan ≤15, 分析判断 fenxi ≤25, 逻辑思维 luoji ≤20,
    应变 yingbian ≤25, 专业素养 suyang ≤15."""
    return _rubric(items, QA_RUBRIC)


def _mean(values: list[Decimal]) -> Decimal:
    return sum(values, Decimal(0)) / len(values)


def _scores(values: Any, what: str, minimum_count: int = 1) -> list[Decimal]:
    items = sequence(values, what)
    if len(items) < minimum_count:
        raise ValueError(f"{what}至少需要 {minimum_count} 个分数，收到 {len(items)} 个")
    return [in_range(value, f"{what}第 {i} 个分数", MAX_SCORE) for i, value in enumerate(items, start=1)]


def average(values: Any) -> float:
    """The arithmetic mean of one or more numbers (any finite numbers), rounded to 2 decimals."""
    items = sequence(values, "求平均的数值")
    if not items:
        raise ValueError("求平均至少需要 1 个数值")
    return rounded(_mean([number(value, f"第 {i} 个数值") for i, value in enumerate(items, start=1)]))


def jb_interview_score(speech_totals: Any, qa_totals: Any) -> float:
    """JB-11: 50 % of the mean speech total + 50 % of the mean Q&A total (each total 0–100,
    one per judge), rounded to 2 decimals only at the end."""
    speech = _mean(_scores(speech_totals, "演讲得分"))
    qa = _mean(_scores(qa_totals, "答辩得分"))
    return rounded((speech + qa) / 2)


def trimmed_mean(scores: Any) -> float:
    """KF-07: drop one highest and one lowest score (each 0–100), average the rest;
    fewer than 3 scores is an error."""
    values = sorted(_scores(scores, "评委打分", minimum_count=3))
    return rounded(_mean(values[1:-1]))
