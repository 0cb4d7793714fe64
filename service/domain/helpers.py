"""The domain functions diagrams may call from scripts and expressions (sandboxed).

Each is a plain function of this package, with no I/O; the container adds them to the
script environment next to the calendar helpers. docs/domain-api.md describes them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from service.domain.dates import age_on, years_between
from service.domain.draws import draw_order, draw_questions, new_seed
from service.domain.pay import pay_structure_violations
from service.domain.ranking import above_threshold, all_below, inspection_targets, rank, top_tied
from service.domain.ratios import hiring_ratio_decision, meets_ratio, ratio
from service.domain.refusal import refuse
from service.domain.scoring import (
    average,
    jb_interview_score,
    qa_score,
    rubric_total,
    speech_score,
    trimmed_mean,
)

SCRIPT_FUNCTIONS: dict[str, Callable[..., Any]] = {
    function.__name__: function
    for function in (
        rubric_total,
        speech_score,
        qa_score,
        average,
        jb_interview_score,
        trimmed_mean,
        rank,
        top_tied,
        all_below,
        above_threshold,
        inspection_targets,
        ratio,
        meets_ratio,
        hiring_ratio_decision,
        pay_structure_violations,
        draw_order,
        draw_questions,
        new_seed,
        age_on,
        years_between,
        refuse,
    )
}
