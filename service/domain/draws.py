"""Random draws that can be replayed for audit (JB-08, JB-10, JB-18): record a seed from
`new_seed()` first, then draw with it; the same inputs and seed give the same result."""

from __future__ import annotations

import copy
import json
import random
import secrets
from typing import Any

from service.domain.validation import count as whole_number
from service.domain.validation import sequence

MIN_BANK = 10
MIN_QUESTIONS = 3
MAX_QUESTIONS = 5
SEED_LIMIT = 2**52  # seed + small offsets stays < 2**53, exact for JSON readers using doubles


def _seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"抽签种子必须是整数（由 new_seed() 生成并记录），收到 {seed!r}")
    return seed


def new_seed() -> int:
    """JB-08, JB-10: a fresh random seed (0 ≤ seed < 2**52) to record before drawing."""
    return secrets.randbelow(SEED_LIMIT)


def draw_order(names: Any, seed: Any) -> list[Any]:
    """JB-08: a shuffled copy of `names`, determined by the seed and the input order."""
    items = sequence(names, "抽签名单")
    result = copy.deepcopy(items)
    random.Random(_seed(seed)).shuffle(result)
    return result


def draw_questions(bank: Any, count: Any, seed: Any) -> list[Any]:
    """JB-10: `count` (3–5) distinct questions from a bank of at least 10 distinct
    questions, determined by the seed and the bank's order."""
    questions = sequence(bank, "题库")
    if len(questions) < MIN_BANK:
        raise ValueError(f"题库至少需要 {MIN_BANK} 道题，当前只有 {len(questions)} 道")
    seen = set()
    for index, question in enumerate(questions, start=1):
        marker = json.dumps(question, sort_keys=True, ensure_ascii=False, default=str)
        if marker in seen:
            raise ValueError(f"题库第 {index} 题与前面的题目重复")
        seen.add(marker)
    wanted = whole_number(count, "抽题数量")
    if not MIN_QUESTIONS <= wanted <= MAX_QUESTIONS:
        raise ValueError(f"抽题数量应为 {MIN_QUESTIONS}–{MAX_QUESTIONS} 道，收到 {count!r}")
    return copy.deepcopy(random.Random(_seed(seed)).sample(questions, wanted))
