"""奉化区国有企业人员管理办法 (seeds/fenghua-guoqi-renyuan-guanli.txt): the records of a hire's
contract and filing (FH-08, FH-09).

Whether a step was late is a fact of the record, computed from the dates when the step is
done — not a flag an escalation branch sets and a later step could lose.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from service.domain.dates import as_date, past_deadline, shift_months
from service.domain.validation import count, entries_list, mapping


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
