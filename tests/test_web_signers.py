"""加签 on the pages (issue 10 through issue 13): the holder adds a signer after submitting
(后加签) or before (前加签), removes one (减签); the signer finds it under 待我签署 and signs
with a button. The same services/signers.py as POST /api/v1/tasks/<id>/add-signers."""

from __future__ import annotations

import pytest

from tests.conftest import beian_files
from tests.test_web import Browser
from tests.test_web_operations import _filled, _follow, _open


@pytest.fixture()
def beian(api):
    assert api.deploy(*beian_files()).status_code == 201
    return api


def test_the_holder_adds_an_after_signer_submits_and_the_signer_agrees_by_button(beian, app):
    instance_id, review = _filled(beian)
    holder = Browser(app).login("jituan")
    page = holder.get(f"/tasks/{review}").get_data(as_text=True)
    assert "确认加签" in page and 'value="after"' in page
    added = holder.post(f"/tasks/{review}/signers", {"users": "li", "position": "after", "comment": "请会签"})
    page = _follow(holder, added)
    assert "已后加签：li" in page and "待签署" in page
    # The holder submits: the step waits for the signer and leaves nothing to submit again.
    waiting = _follow(holder, holder.post(f"/tasks/{review}", {"shuoming": "同意"}))
    assert [t["title"] for t in _open(beian, instance_id)] == ["集团审核"]
    signer = Browser(app).login("li")
    listed = signer.get("/signoffs").get_data(as_text=True)
    assert "集团审核" in listed and "后加签" in listed
    task_page = signer.get(f"/tasks/{review}").get_data(as_text=True)
    assert ">同意</button>" in task_page and ">不同意</button>" in task_page
    # Disagreeing without a word is refused with the service's message.
    refused = _follow(signer, signer.post(f"/tasks/{review}/sign", {"agree": "false"}))
    assert "不同意时请填写意见" in refused
    signed = _follow(signer, signer.post(f"/tasks/{review}/sign", {"agree": "true", "comment": "无意见"}))
    assert "已签署：同意" in signed
    assert [t["title"] for t in _open(beian, instance_id)] == ["国资审核"]
    assert waiting  # the page after submitting rendered


def test_a_before_signer_must_sign_first_and_the_holder_may_remove_them(beian, app):
    _instance_id, review = _filled(beian)
    holder = Browser(app).login("jituan")
    holder.get(f"/tasks/{review}")
    _follow(holder, holder.post(f"/tasks/{review}/signers", {"users": "li", "position": "before"}))
    refused = holder.post(f"/tasks/{review}", {"shuoming": "同意"})
    # Refused on the task page itself, with the service's reason.
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409 and "须先由 li 签署同意" in html
    removed = _follow(holder, holder.post(f"/tasks/{review}/signers/li/remove"))
    assert "已减签：li" in removed and "已减签" in removed
    # An outsider is not the holder: the button's service refuses them.
    outsider = Browser(app).login("renshi2")
    outsider.get("/signoffs")
    answer = _follow(
        outsider, outsider.post(f"/tasks/{review}/signers", {"users": "li", "position": "after"})
    )
    assert 'class="flash error"' in answer and "已后加签" not in answer
    assert [
        s["status"] for s in beian.get(f"/api/v1/tasks/{review}/signers", user="jituan").json["items"]
    ] == ["removed"]


def test_the_observer_sees_the_signers_but_no_buttons(beian, app):
    _instance_id, review = _filled(beian)
    holder = Browser(app).login("jituan")
    holder.get(f"/tasks/{review}")
    _follow(holder, holder.post(f"/tasks/{review}/signers", {"users": "li", "position": "parallel"}))
    page = Browser(app).login("jijian").get(f"/tasks/{review}").get_data(as_text=True)
    assert "并加签" in page and "确认加签" not in page and ">减签</button>" not in page
