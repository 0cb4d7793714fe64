"""Intake from outside the office on the pages (issue 13): the public notice board, an online
application by a candidate (X-03) registered exactly like one the office registers, and a
real-name public objection (X-04) registered in the running publicity, with a receipt code
for the feedback, limited per address and hour."""

from __future__ import annotations

import dataclasses
import io
import re
from typing import Any

import time_machine

from tests.test_jiebang import BANGDAN, _to_list_publicity, at, data, do, files, shenqing, titles
from tests.test_web import Browser
from tests.uploads import PDF


def flatten(value: Any, prefix: str = "") -> dict[str, str]:
    """Form data in the page's field names (service/web/formdata.py): a.b, t.0.c."""
    fields: dict[str, str] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            fields.update(flatten(item, f"{prefix}{key}."))
    elif isinstance(value, list):
        fields[f"{prefix}__present"] = "1"
        for index, item in enumerate(value):
            fields.update(flatten(item, f"{prefix}{index}."))
    else:
        fields[prefix[:-1]] = "true" if value is True else "false" if value is False else str(value)
    return fields


def _upload(browser: Browser, name: str) -> dict[str, str]:
    answer = browser.client.post(
        "/files",
        data={"csrf_token": browser.token, "file": (io.BytesIO(PDF), name)},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 201, answer.get_data(as_text=True)
    return {"file_id": answer.json["id"], "filename": name}


def _application(browser: Browser, name: str, **changes: Any) -> dict[str, str]:
    form = shenqing(name, **changes)
    for field in ("fujian_shenfenzheng", "fujian_biyezheng", "fujian_zhichengzheng"):
        form[field] = [_upload(browser, f"{name}{field}.pdf")]
    return flatten({"shenqing": form})


def _open_call(api) -> str:
    assert api.deploy(*files()).status_code == 201
    instance_id = api.start("jiebang_guashuai", user="gongzuozu", business_key="GT-JB-WEB").json["id"]
    do(api, "gongzuozu", "建榜", **BANGDAN)
    do(api, "gongzuozu", "发榜", fabu_riqi="2026-03-02", fabu_qudao="本溪市国资委网站")
    return instance_id


def test_a_candidate_applies_online_and_sees_whether_it_was_accepted_and_why(api, app):
    """X-03, JB-03, JB-04: the application enters 登记揭榜申请 like a paper one and meets the
    same decision table; the candidate sees the outcome, and only their own."""
    with time_machine.travel(at("2026-03-03"), tick=False):
        instance_id = _open_call(api)
        board = Browser(app).get("/gongshi").get_data(as_text=True)  # no login
        assert "本溪水泵有限责任公司市场营销部部长" in board and "网上报名" in board
        registration = instance_id  # the call's page names the case: each registration is a new task
        assert f"/apply/{registration}" in board

        zhang = Browser(app).login("jiebangren1")  # linked to 张建国's ID number
        page = zhang.get(f"/apply/{registration}").get_data(as_text=True)
        assert 'name="shenqing.xingming"' in page and 'name="shoudao_riqi"' not in page
        assert 'name="shenqing.fujian_shenfenzheng.__upload"' in page
        # One applies as oneself: someone else's ID number is refused next to the field.
        other = zhang.post(f"/apply/{registration}", _application(zhang, "李明华"))
        assert other.status_code == 422
        html = other.get_data(as_text=True)
        field = html[html.index('name="shenqing.shenfenzheng_hao"') :]
        assert field.index("只能以本人身份报名") < field.index('name="shenqing.xingbie"')
        done = zhang.post(f"/apply/{registration}", _application(zhang, "张建国"))
        assert done.status_code == 302 and done.headers["Location"] == "/me/applications"

        li = Browser(app).login("jiebangren2")  # 李明华: four years of work only
        li.get(f"/apply/{registration}")
        assert (
            li.post(
                f"/apply/{registration}", _application(li, "李明华", canjia_gongzuo_shijian="2022-07-01")
            ).status_code
            == 302
        )

        # Registered like the office registers: the same record, the same decision table.
        records = {r["xingming"]: r for r in data(api, instance_id)["shenqing_list"]}
        assert records["张建国"]["shouli"] is True and records["张建国"]["shoudao_riqi"] == "2026-03-03"
        assert records["李明华"]["shouli"] is False
        # The office's registration step stays open for paper applications.
        assert "登记揭榜申请" in titles(api, "dangweigongzuobu")

        mine = zhang.get("/me/applications").get_data(as_text=True)
        assert "已受理：符合揭榜条件" in mine and "李明华" not in mine
        theirs = li.get("/me/applications").get_data(as_text=True)
        assert "不予受理：不符合揭榜条件：工作经历不满5年" in theirs and "张建国" not in theirs
        # Applying did not make the candidate a participant of the case: its page stays closed.
        assert zhang.get(f"/cases/{instance_id}").status_code == 404


def test_an_office_account_cannot_apply_online(api, app):
    with time_machine.travel(at("2026-03-03"), tick=False):
        registration = _open_call(api)
        clerk = Browser(app).login("dangweigongzuobu")
        refused = clerk.get(f"/apply/{registration}")
        assert refused.status_code == 403 and "网上报名只供应聘一方的账号使用" in refused.get_data(
            as_text=True
        )
        unlinked = Browser(app).login("jiebangren3")
        assert "还没有关联身份证号" in unlinked.get(f"/apply/{registration}").get_data(as_text=True)


def _receipt(html: str) -> str:
    match = re.search(r'id="receipt-code">([A-Z0-9]+)<', html)
    assert match, html[:2000]
    return match.group(1)


def test_a_public_objection_is_registered_in_the_running_publicity_with_a_receipt(api, app):
    """X-04, JB-16: real name, contact and facts from the board enter 受理公示异议 like one the
    office receives; the objector reads the finding and the decision by the receipt code."""
    with time_machine.travel(at("2026-03-02"), tick=False) as traveller:
        intake = _to_list_publicity(api, traveller)
        public = Browser(app)
        board = public.get("/gongshi").get_data(as_text=True)
        assert "拟参与揭榜对象：张建国、李明华、王志强" in board
        page = public.get(f"/gongshi/{intake}").get_data(as_text=True)
        assert "实名提出异议" in page
        # Anonymous or without facts: refused next to the field, as the office's form would.
        short = public.post(
            f"/gongshi/{intake}", {"jubaoren": "王", "lianxi_fangshi": "13800000000", "shishi": "有问题"}
        )
        assert short.status_code == 422
        html = short.get_data(as_text=True)
        assert html.index('id="err-shishi"') > html.index('name="lianxi_fangshi"')
        filed = public.post(
            f"/gongshi/{intake}",
            {
                "jubaoren": "王五",
                "lianxi_fangshi": "13800000000",
                "shishi": "张建国的工作经历与申请表填写不符，实际未满五年。",
            },
        )
        assert filed.status_code == 200, filed.get_data(as_text=True)[:1000]
        code = _receipt(filed.get_data(as_text=True))
        assert "正在核查" in public.get(f"/gongshi/feedback?code={code}").get_data(as_text=True)
        # Registered in the publicity: 党工部 has the objection to check, and receiving goes on.
        assert "核查异议" in titles(api, "danggongbu") and "受理公示异议" in titles(api, "dangweigongzuobu")
        do(
            api,
            "danggongbu",
            "核查异议",
            hecha_jieguo="异议成立",
            hecha_shuoming="经核查档案，工作经历不满五年。",
            fankui_jubaoren="您反映的问题经核查属实，已报党委决定。",
        )
        checked = public.get(f"/gongshi/feedback?code={code.lower()}").get_data(as_text=True)
        assert "已核查，待决定" in checked and "您反映的问题经核查属实" in checked
        do(
            api,
            "dangwei",
            "决定异议处理",
            yiyi_jueding="异议成立",
            yiyi_jueding_shuoming="党委会议研究，异议成立。",
        )
        decided = public.get(f"/gongshi/feedback?code={code}").get_data(as_text=True)
        assert "已作出决定" in decided and "异议成立（党委会议研究，异议成立。）" in decided
        assert Browser(app).get("/gongshi/feedback?code=NOSUCHCODE").status_code == 404


def test_objections_are_limited_per_address_and_hour(api, app, monkeypatch):
    with time_machine.travel(at("2026-03-02"), tick=False) as traveller:
        intake = _to_list_publicity(api, traveller)
        container = app.extensions["xuanpin"]
        monkeypatch.setattr(
            container, "settings", dataclasses.replace(container.settings, objections_per_hour=1)
        )
        public = Browser(app)
        public.get(f"/gongshi/{intake}")
        facts = {
            "jubaoren": "王五",
            "lianxi_fangshi": "13800000000",
            "shishi": "张建国的工作经历与申请表填写不符。",
        }
        assert public.post(f"/gongshi/{intake}", facts).status_code == 200
        again = public.post(f"/gongshi/{intake}", facts)
        assert again.status_code == 429 and "每小时最多提交 1 条异议" in again.get_data(as_text=True)
        traveller.shift(3601)
        assert public.post(f"/gongshi/{intake}", facts).status_code == 200


def test_a_public_objection_carries_its_evidence_to_the_checker(api, app):
    """X-04 (real name, contact, facts, attachments): the objector's scans are stored with the
    objection and the checker opens them from the step; a file of a kind the service does not
    take is refused next to the file input, the typed facts stay and nothing is registered."""
    with time_machine.travel(at("2026-03-02"), tick=False) as traveller:
        intake = _to_list_publicity(api, traveller)
        public = Browser(app)
        page = public.get(f"/gongshi/{intake}").get_data(as_text=True)
        assert 'enctype="multipart/form-data"' in page and 'name="zhengju_fujian"' in page
        facts = {
            "jubaoren": "赵六",
            "lianxi_fangshi": "13900000000",
            "shishi": "李明华提交的职称证书与人社部门登记不符，附查询截图。",
        }
        wrong = public.post(
            f"/gongshi/{intake}",
            {**facts, "zhengju_fujian": [(io.BytesIO(b"MZ\x90\x00 not a document"), "截图.exe")]},
            content_type="multipart/form-data",
        )
        assert wrong.status_code == 415
        html = wrong.get_data(as_text=True)
        error = html[html.index('id="err-zhengju_fujian"') :]
        assert "不能上传；只接受" in error[: error.index("</ul>")]
        assert "李明华提交的职称证书与人社部门登记不符" in html  # what was typed stays
        assert "核查异议" not in titles(api, "danggongbu")

        filed = public.post(
            f"/gongshi/{intake}",
            {
                **facts,
                "zhengju_fujian": [
                    (io.BytesIO(PDF), "职称查询截图.pdf"),
                    (io.BytesIO(PDF), "证书复印件.pdf"),
                ],
            },
            content_type="multipart/form-data",
        )
        assert filed.status_code == 200, filed.get_data(as_text=True)[:1000]
        [check] = [
            t for t in api.inbox("danggongbu") if t["title"] == "核查异议" and t["instance_id"] == intake
        ]
        context = api.get(f"/api/v1/tasks/{check['id']}", user="danggongbu").json["context"]
        record = context["gongshi_yiyi_jilu"][context["yiyi_bianhao"]]
        assert [f["filename"] for f in record["zhengju_fujian"]] == ["职称查询截图.pdf", "证书复印件.pdf"]

        checker = Browser(app).login("danggongbu")
        step = checker.get(f"/tasks/{check['id']}").get_data(as_text=True)
        assert "职称查询截图.pdf" in step
        link = re.search(r'href="(/files/[^"]+)"[^>]*>职称查询截图\.pdf<', step)
        assert link, step[step.index("职称查询截图.pdf") - 300 :][:600]
        download = checker.get(link.group(1))
        assert download.status_code == 200 and download.data == PDF
        # The evidence is the case's: someone outside it cannot fetch it by its address.
        outsider = Browser(app).login("jiebangren3")
        assert outsider.get(link.group(1)).status_code == 404


def test_an_objection_may_carry_several_files_each_up_to_the_upload_limit(api, app, monkeypatch):
    """The page takes up to 5 evidence files, each within the upload limit, in one submission
    (the body may be larger than one file's limit); more than 5 are refused next to the input."""
    big = PDF + b"%" + b"0" * (60 * 1024)  # just under the limit, twice over it together
    with time_machine.travel(at("2026-03-02"), tick=False) as traveller:
        intake = _to_list_publicity(api, traveller)
        container = app.extensions["xuanpin"]
        limit = 64 * 1024
        monkeypatch.setattr(
            container, "settings", dataclasses.replace(container.settings, max_upload_bytes=limit)
        )
        monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", limit)  # as create_app sets it
        public = Browser(app)
        public.get(f"/gongshi/{intake}")
        facts = {
            "jubaoren": "钱七",
            "lianxi_fangshi": "13700000000",
            "shishi": "王志强的学历证书编号在学信网查询不到。",
        }
        six = [(io.BytesIO(PDF), f"材料{n}.pdf") for n in range(6)]
        refused = public.post(
            f"/gongshi/{intake}", {**facts, "zhengju_fujian": six}, content_type="multipart/form-data"
        )
        assert refused.status_code == 422 and "最多附 5 个证明材料" in refused.get_data(as_text=True)
        two = [(io.BytesIO(big), "学信网查询结果.pdf"), (io.BytesIO(big), "证书照片.pdf")]
        filed = public.post(
            f"/gongshi/{intake}", {**facts, "zhengju_fujian": two}, content_type="multipart/form-data"
        )
        assert filed.status_code == 200, filed.get_data(as_text=True)[:500]
        assert _receipt(filed.get_data(as_text=True))
