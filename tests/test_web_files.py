"""File fields on the pages (issue 13): a field whose schema says "format": "xuanpin-file"
gets an upload control; the file is uploaded through the same services/files.upload as
POST /api/v1/files, the field then holds its id, and the page shows the name as a link."""

from __future__ import annotations

import io

import pytest

from tests.conftest import beian_files
from tests.test_web import TIANBAO, Browser
from tests.uploads import PDF, PNG


@pytest.fixture()
def beian(api):
    assert api.deploy(*beian_files()).status_code == 201
    return api


def _task_path(browser: Browser) -> str:
    browser.get("/start")
    started = browser.post("/start/fenghua_beian", {"business_key": "FH-FILE-1"})
    return started.headers["Location"]


def test_a_file_field_is_an_upload_control_and_the_upload_answers_its_id(beian, app):
    browser = Browser(app).login("renshi")
    task_path = _task_path(browser)
    page = browser.get(task_path).get_data(as_text=True)
    assert 'type="file"' in page and 'name="fujian.__upload"' in page
    assert 'enctype="multipart/form-data"' in page
    answer = browser.client.post(
        "/files",
        data={"csrf_token": browser.token, "file": (io.BytesIO(PDF), "劳动合同.pdf")},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 201, answer.get_data(as_text=True)
    body = answer.json
    assert body["name"] == "劳动合同.pdf"
    assert browser.get(body["url"]).get_data() == PDF
    # Someone else cannot read it by its id (the same rule as GET /api/v1/files/<id>).
    assert Browser(app).login("jituan").get(body["url"]).status_code == 404
    # The page keeps the id in the field's inputs: the submission names it like any REST client.
    done = browser.post(
        task_path,
        {
            **TIANBAO,
            "fujian.__present": "1",
            "fujian.0.file_id": body["id"],
            "fujian.0.filename": body["name"],
        },
    )
    assert done.status_code == 302, done.get_data(as_text=True)
    review = beian.inbox("jituan")[0]
    # The case page shows the attachment by name, linked to the download.
    shown = Browser(app).login("jituan").get(f"/cases/{review['instance_id']}").get_data(as_text=True)
    assert f'<a href="/files/{body["id"]}">劳动合同.pdf</a>' in shown


def test_without_script_the_files_go_with_the_form_and_a_refused_one_is_told_by_its_field(beian, app):
    browser = Browser(app).login("renshi")
    task_path = _task_path(browser)
    browser.get(task_path)
    refused = browser.client.post(
        task_path,
        data={
            "csrf_token": browser.token,
            **TIANBAO,
            "fujian.__present": "1",
            "fujian.__upload": [
                (io.BytesIO(b"MZ\x90\x00 not a document"), "合同.exe"),
                (io.BytesIO(PNG), "学历.png"),
            ],
        },
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    field = html[html.index('data-files="fujian"') :]
    assert "合同.exe" in field.split("</fieldset>")[0] and "不能上传" in field.split("</fieldset>")[0]
    # The accepted one is kept, shown by name and linked, so the person does not send it again.
    assert "学历.png</a>" in field and 'name="fujian.0.file_id"' in field
    kept = field.split('name="fujian.0.file_id" value="')[1].split('"')[0]
    done = browser.post(
        task_path,
        {**TIANBAO, "fujian.__present": "1", "fujian.0.file_id": kept, "fujian.0.filename": "学历.png"},
    )
    assert done.status_code == 302


def test_a_file_id_the_person_may_not_use_is_refused_next_to_the_field(beian, app):
    other = Browser(app).login("renshi2")
    other.get("/inbox")
    foreign = other.client.post(
        "/files",
        data={"csrf_token": other.token, "file": (io.BytesIO(PDF), "别人的.pdf")},
        content_type="multipart/form-data",
    ).json["id"]
    browser = Browser(app).login("renshi")
    task_path = _task_path(browser)
    browser.get(task_path)
    refused = browser.post(
        task_path,
        {**TIANBAO, "fujian.__present": "1", "fujian.0.file_id": foreign, "fujian.0.filename": "x.pdf"},
    )
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "不是您上传或有权查看的文件" in html[html.index('data-files="fujian"') :].split("</fieldset>")[0]
