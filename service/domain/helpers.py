"""The domain functions diagrams may call from scripts and expressions (sandboxed).

Each is a plain function of this package, with no I/O; the container adds them to the
script environment next to the calendar helpers. The function table of docs/domain-api.md is
generated from their signatures and docstrings (`xuanpin docs`); a test keeps it current.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any

from service.domain.dates import age_on, check_window_open, months_between, past_deadline, years_between
from service.domain.draws import draw_order, draw_questions, new_seed
from service.domain.fenghua import (
    fh_approved_plan,
    fh_check_plan_posts,
    fh_filing_record,
    fh_plan_post,
    fh_qualification_facts,
    fh_record_hire,
    fh_reduced_plan,
)
from service.domain.fenghua_dibu import fh_check_physical, fh_dibu, fh_hire_list
from service.domain.fenghua_steps import (
    fh_archive,
    fh_examiner_sheet,
    fh_hire_done,
    fh_interview_scores,
    fh_next_hire,
    fh_post,
    fh_publicity_list,
    fh_ratio,
    fh_record_application,
    fh_start_plan,
    fh_totals,
    round_sheets,
)
from service.domain.jiebang_steps import (
    jb_accepted,
    jb_check_setter,
    jb_draw,
    jb_interview_outcome,
    jb_judge_sheet,
    jb_onsite_draw,
    jb_record_application,
    jb_second_round_outcome,
    jb_shortlist_text,
    jb_void_round,
)
from service.domain.kaifaqu import (
    kf_batch_posts,
    kf_blank_sheet,
    kf_interview_scores,
    kf_judge_sheet,
    kf_number_competitors,
    kf_score_list,
    kf_unfilled_posts,
)
from service.domain.kaifaqu_steps import (
    kf_appointments,
    kf_check_proposal,
    kf_competition_list,
    kf_inspection_list,
    kf_open_batch,
    kf_publicity_text,
    kf_qualification_facts,
    kf_ranking,
    kf_registration,
)
from service.domain.other_steps import (
    fh_plan_returned,
    fh_plan_submission,
    fh_plan_year,
    gs_open,
    gs_settle,
    ss_pay,
    ss_proposed,
    ss_ratio,
)
from service.domain.pay import pay_structure_violations
from service.domain.publicity import (
    gs_check_days,
    gs_mark_overdue,
    gs_objection_list,
    gs_outcome,
    gs_posting_start,
    gs_record_decision,
    gs_record_finding,
    gs_register_objection,
)
from service.domain.ranking import above_threshold, all_below, inspection_targets, rank, top_tied
from service.domain.ratios import hiring_ratio_decision, meets_ratio, ratio
from service.domain.recusal import (
    check_panel_can_score,
    jb_interview_results,
    jb_second_round_results,
    recusal_split,
)
from service.domain.refusal import refuse
from service.domain.registration import check_single_registrations, count_by_post, register_once
from service.domain.retirement import statutory_retirement
from service.domain.scoring import (
    average,
    jb_interview_score,
    qa_score,
    rubric_total,
    speech_score,
    trimmed_mean,
)
from service.domain.shengshu import (
    ss_check_inspection,
    ss_comparison,
    ss_nomination,
    ss_proposal,
    ss_publicity_start,
    ss_roles,
)

SCRIPT_FUNCTIONS: dict[str, Callable[..., Any]] = {
    function.__name__: function
    for function in (
        rubric_total,
        speech_score,
        qa_score,
        average,
        jb_interview_score,
        jb_interview_results,
        jb_second_round_results,
        recusal_split,
        check_panel_can_score,
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
        months_between,
        statutory_retirement,
        past_deadline,
        check_window_open,
        fh_filing_record,
        fh_record_hire,
        fh_approved_plan,
        fh_plan_post,
        fh_reduced_plan,
        fh_qualification_facts,
        fh_check_plan_posts,
        kf_batch_posts,
        kf_unfilled_posts,
        kf_number_competitors,
        kf_score_list,
        kf_blank_sheet,
        kf_judge_sheet,
        kf_interview_scores,
        ss_comparison,
        ss_check_inspection,
        ss_nomination,
        ss_roles,
        ss_proposal,
        ss_publicity_start,
        gs_check_days,
        gs_posting_start,
        gs_register_objection,
        gs_mark_overdue,
        gs_record_finding,
        gs_record_decision,
        gs_objection_list,
        gs_outcome,
        refuse,
        fh_archive,
        fh_examiner_sheet,
        fh_hire_done,
        fh_interview_scores,
        fh_next_hire,
        fh_post,
        fh_publicity_list,
        fh_hire_list,
        fh_check_physical,
        fh_dibu,
        fh_ratio,
        fh_record_application,
        fh_start_plan,
        fh_totals,
        round_sheets,
        jb_accepted,
        jb_draw,
        jb_interview_outcome,
        jb_check_setter,
        jb_judge_sheet,
        jb_onsite_draw,
        jb_record_application,
        jb_second_round_outcome,
        jb_shortlist_text,
        jb_void_round,
        kf_appointments,
        kf_check_proposal,
        kf_competition_list,
        kf_inspection_list,
        kf_open_batch,
        kf_publicity_text,
        kf_qualification_facts,
        kf_ranking,
        kf_registration,
        fh_plan_returned,
        fh_plan_submission,
        fh_plan_year,
        gs_open,
        gs_settle,
        ss_pay,
        ss_proposed,
        ss_ratio,
        check_single_registrations,
        count_by_post,
        register_once,
    )
}


_RULE_ID = re.compile(r"\b(?:JB|KF|SS|FH|X)-\d+\b")


def reference_table() -> str:
    """The Markdown table of every function: signature, module, the rules its docstring cites,
    and the docstring's first paragraph."""
    rows = ["| function | module | rules | meaning |", "|---|---|---|---|"]
    for name in sorted(SCRIPT_FUNCTIONS):
        function = SCRIPT_FUNCTIONS[name]
        doc = inspect.getdoc(function) or ""
        summary = " ".join(doc.split("\n\n")[0].split()).replace("|", "\\|")
        parameters = ", ".join(
            p.name if p.default is inspect.Parameter.empty else f"{p.name}={p.default!r}"
            for p in inspect.signature(function).parameters.values()
        )
        rules = ", ".join(
            sorted(set(_RULE_ID.findall(doc)), key=lambda r: (r.split("-")[0], int(r.split("-")[1])))
        )
        module = function.__module__.rsplit(".", 1)[-1]
        rows.append(f"| `{name}({parameters})` | {module} | {rules} | {summary} |")
    return "\n".join(rows) + "\n"
