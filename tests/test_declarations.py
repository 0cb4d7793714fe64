"""What a process declares in its extension properties: diagram settings (`xuanpin:setting.*`,
read by scripts as `shezhi`) and the refusal of unknown declarations."""

from __future__ import annotations

import pytest

from service.domain.declarations import DataPolicy, parse_declarations, parse_settings
from tests.bpmn import linear, script, user
from tests.conftest import assert_problem


def test_settings_are_json_values_with_text_as_a_fallback():
    settings = parse_settings(
        {
            "xuanpin:setting.chae_bili": "1.5",
            "xuanpin:setting.chouti": "[3, 5]",
            "xuanpin:setting.danwei": "区国资管理中心",
            "xuanpin:applications": "baoming",
        }
    )
    assert settings == {"chae_bili": 1.5, "chouti": [3, 5], "danwei": "区国资管理中心"}
    with pytest.raises(ValueError, match="名称无效"):
        parse_settings({"xuanpin:setting.1bad": "1"})


def test_personal_data_policy_needs_its_fields():
    declarations = parse_declarations(
        {
            "xuanpin:personalFields": "shenfenzheng_hao, lianxi_dianhua",
            "xuanpin:personalDataRoles": "工作组，党委",
        }
    )
    assert declarations.data_policy == DataPolicy(
        frozenset({"shenfenzheng_hao", "lianxi_dianhua"}), frozenset({"工作组", "党委"})
    )
    assert DataPolicy.from_json(declarations.data_policy.as_json()) == declarations.data_policy
    with pytest.raises(ValueError, match="xuanpin:personalFields"):
        parse_declarations({"xuanpin:personalDataRoles": "党委"})


def _settings_diagrams() -> list[tuple[str, bytes]]:
    called = linear(
        "ceshi_zi_liucheng",
        script("zi_bili = shezhi['bili']"),
        name="被调用流程",
        properties={"xuanpin:setting.bili": "3"},
    )
    caller = linear(
        "ceshi_shezhi",
        script("fu_bili = shezhi['bili']\nshezhi['bili'] = 99\ntongguo = shezhi['fenshu_xian'] <= 80"),
        script("zai_du = shezhi['bili']"),
        '<bpmn:callActivity id="{id}" name="调用子流程" calledElement="ceshi_zi_liucheng" />',
        user("确认", 'camunda:candidateGroups="企业人事"'),
        properties={"xuanpin:setting.bili": "2", "xuanpin:setting.fenshu_xian": "80"},
    )
    return [("ceshi_zi_liucheng.bpmn", called), ("ceshi_shezhi.bpmn", caller)]


def test_scripts_read_their_own_process_settings_and_cannot_change_them(api):
    assert api.deploy(*_settings_diagrams()).status_code == 201
    refused = assert_problem(api.start("ceshi_shezhi", shezhi={"bili": 1000}, today="2026-01-01"), 422)
    assert set(refused["errors"]) == {"data.shezhi", "data.today"}  # reserved: they would hide
    started = api.start("ceshi_shezhi")
    assert started.status_code == 201, started.json
    data = api.get(f"/api/v1/instances/{started.json['id']}").json["data"]
    # A script's change does not stick; the called process reads its own settings.
    assert (data["fu_bili"], data["zai_du"], data["zi_bili"], data["tongguo"]) == (2, 2, 3, True)


def test_an_unknown_declaration_is_refused_at_deployment(api):
    bpmn = linear("ceshi_cuowu", user(), properties={"xuanpin:setting.ok": "1", "xuanpin:hiddenField": "x"})
    body = assert_problem(api.deploy(("ceshi_cuowu.bpmn", bpmn)), 422)
    assert "xuanpin:hiddenField" in body["detail"]
