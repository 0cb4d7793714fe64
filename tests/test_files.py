"""Attachments (issue 10): upload within limits, kind judged by content, download only by those
who may read a task or case that refers to the file, and form file fields (JB-05's ID card,
diploma and title certificate scans) that accept only files the submitter may use."""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import replace
from urllib.parse import quote

import pytest
import time_machine

from service.domain.file_types import KINDS, ascii_fallback, claimed_kind, sniff
from tests.conftest import assert_problem
from tests.test_jiebang import BANGDAN, at, data, do, files, shenqing, task
from tests.uploads import JPEG, PDF, PNG, docx, upload, uploaded

NAME = "张建国身份证.pdf"


def _zip(**members: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        for name, text in members.items():
            package.writestr(name, text)
    return buffer.getvalue()


OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


# --- the kind of a file, by its bytes ---------------------------------------------------


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (PDF, "pdf"),
        (JPEG, "jpeg"),
        (PNG, "png"),
        (_zip(**{"OFD.xml": "<ofd:OFD/>", "Doc_0/Document.xml": "<d/>"}), "ofd"),
        (docx(), "docx"),
        (_zip(**{"[Content_Types].xml": "<Types/>", "xl/workbook.xml": "<w/>"}), "xlsx"),
        (OLE2 + "WordDocument".encode("utf-16-le"), "doc"),
        (OLE2 + "Workbook".encode("utf-16-le"), "xls"),
    ],
)
def test_the_kind_is_judged_by_the_bytes(content, kind):
    assert sniff(content) is KINDS[kind]


@pytest.mark.parametrize(
    "content",
    [b"hello", b"MZ\x90\x00", b"<html><script>", _zip(**{"a.txt": "x"}), b"PK\x03\x04broken", OLE2],
)
def test_bytes_of_no_accepted_kind_are_not_recognised(content):
    assert sniff(content) is None


def test_the_extension_claims_and_the_plain_name_falls_back():
    assert claimed_kind("扫描件.JPG") is KINDS["jpeg"] and claimed_kind("说明.txt") is None
    assert ascii_fallback("scan.pdf", "file-1") == "scan.pdf"
    assert ascii_fallback(NAME, "file-1") == "file-1.pdf"
    assert ascii_fallback('a"b.pdf', "file-1") == "file-1.pdf"


# --- upload and download -----------------------------------------------------------------


def test_an_upload_is_stored_with_name_type_size_hash_and_uploader(api):
    response = upload(api, "dangweigongzuobu", NAME)
    assert response.status_code == 201, response.json
    stored = response.json
    assert stored["name"] == NAME and stored["type"] == "application/pdf"
    assert stored["size"] == len(PDF) and stored["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert stored["uploaded_by"] == "dangweigongzuobu"
    assert stored["uploaded_at"].endswith("+08:00")  # Beijing time
    meta = api.get(f"/api/v1/files/{stored['id']}/meta", user="dangweigongzuobu")
    assert meta.status_code == 200 and meta.json == stored
    [event] = api.get("/api/v1/audit", query_string={"action": "file.uploaded"}).json["items"]
    assert (event["actor"], event["action_label"]) == ("dangweigongzuobu", "上传附件")
    assert event["detail"]["file_id"] == stored["id"] and event["detail"]["sha256"] == stored["sha256"]


def test_the_download_names_the_chinese_file_and_forbids_sniffing(api):
    file_id = upload(api, "dangweigongzuobu", f"扫描件/{NAME}").json["id"]  # a client's folder is dropped
    response = api.get(f"/api/v1/files/{file_id}", user="dangweigongzuobu")
    assert response.status_code == 200
    assert response.data == PDF and response.mimetype == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    disposition = response.headers["Content-Disposition"]
    # RFC 6266 / 5987: a plain ASCII name for old clients, the real one UTF-8 percent-encoded.
    assert disposition == (
        f"attachment; filename=\"file-{file_id[:8]}.pdf\"; filename*=UTF-8''{quote(NAME, safe='')}"
    )
    assert "private" in response.headers["Cache-Control"]


def test_the_type_is_what_the_content_is_not_what_the_client_says(api):
    response = api.post(
        "/api/v1/files",
        user="renshi",
        data={"file": (io.BytesIO(PNG), "照片.png", "application/pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201 and response.json["type"] == "image/png"


@pytest.mark.parametrize(
    ("filename", "content", "word"),
    [
        ("说明.txt", b"plain text", "不是可识别的文档或图片"),
        ("setup.pdf", b"MZ\x90\x00\x03", "不是可识别的文档或图片"),
        ("页面.html", b"<html><script>alert(1)</script>", "不是可识别的文档或图片"),
        ("身份证.pdf", PNG, "扩展名表示PDF 文档，内容却是PNG 图片"),
    ],
)
def test_a_file_of_another_kind_is_refused_415(api, filename, content, word):
    body = assert_problem(upload(api, "renshi", filename, content), 415)
    assert word in body["detail"], body["detail"]
    assert body["errors"]["file"]


def test_the_accepted_kinds_are_a_setting(app, api):
    container = app.extensions["xuanpin"]
    container.settings = replace(container.settings, upload_types=("pdf",))
    body = assert_problem(upload(api, "renshi", "照片.png", PNG), 415)
    assert "是PNG 图片" in body["detail"] and "只接受：PDF 文档" in body["detail"]
    assert body["allowed"] == ["pdf"]
    assert upload(api, "renshi", "扫描件.pdf").status_code == 201


def test_a_file_over_the_limit_is_refused_413(app, api):
    limit = app.extensions["xuanpin"].settings.max_upload_bytes
    body = assert_problem(upload(api, "renshi", "大文件.pdf", PDF + b"0" * (limit - len(PDF) + 1)), 413)
    assert "超过上限 5.0 MB" in body["detail"] and body["limit_bytes"] == limit
    # A body far beyond the limit is refused before it is read.
    body = assert_problem(upload(api, "renshi", "更大.pdf", PDF + b"0" * (limit + 200_000)), 413)
    assert "超过上限 5.0 MB" in body["detail"]
    # Exactly at the limit is fine.
    assert upload(api, "renshi", "刚好.pdf", PDF + b"0" * (limit - len(PDF))).status_code == 201


def test_an_upload_without_a_file_or_with_an_empty_one_is_refused_422(api):
    body = assert_problem(
        api.post("/api/v1/files", user="renshi", data={"other": "x"}, content_type="multipart/form-data"),
        422,
    )
    assert "字段 file" in body["detail"]
    assert "0 字节" in assert_problem(upload(api, "renshi", "空.pdf", b""), 422)["detail"]
    assert assert_problem(api.post("/api/v1/files", user="renshi", json={"file": "x"}), 422)


def test_only_the_uploader_admins_and_observers_read_an_unreferenced_file(api):
    file_id = upload(api, "dangweigongzuobu", NAME).json["id"]
    for user in ("dangweigongzuobu", "admin", "jijian"):
        assert api.get(f"/api/v1/files/{file_id}", user=user).status_code == 200, user
    for user in ("outsider", "jiebangren1", "dangwei"):
        body = assert_problem(api.get(f"/api/v1/files/{file_id}", user=user), 404)
        assert "不存在或您无权查看" in body["detail"]
        assert_problem(api.get(f"/api/v1/files/{file_id}/meta", user=user), 404)
    assert_problem(api.get("/api/v1/files/no-such-file", user="admin"), 404)
    assert api.get(f"/api/v1/files/{file_id}", user=None).status_code == 401


# --- form file fields: JB-05 -------------------------------------------------------------


def _registration(api, traveller) -> tuple[str, dict]:
    assert api.deploy(*files()).status_code == 201
    instance_id = api.start("jiebang_guashuai", user="gongzuozu").json["id"]
    do(api, "gongzuozu", "建榜", **BANGDAN)
    do(api, "gongzuozu", "发榜", fabu_riqi="2026-03-02", fabu_qudao="本溪市国资委网站")
    return instance_id, task(api, "dangweigongzuobu", "登记揭榜申请")


def _scans(api, user: str, name: str) -> dict[str, list[dict[str, str]]]:
    return {
        "fujian_shenfenzheng": [uploaded(api, user, f"{name}身份证.pdf")],
        "fujian_biyezheng": [uploaded(api, user, f"{name}毕业证.jpg", JPEG)],
        "fujian_zhichengzheng": [],
    }


def test_jb05_the_form_says_which_fields_are_files(api):
    """JB-05: the application's ID card, diploma and title certificate are file fields: the
    task's form schema marks them, so a UI renders an upload control."""
    with time_machine.travel(at("2026-03-03"), tick=False) as traveller:
        _, registration = _registration(api, traveller)
        form = api.get(f"/api/v1/tasks/{registration['id']}", user="dangweigongzuobu").json["form"]
        fields = form["properties"]["shenqing"]["properties"]
        for name in ("fujian_shenfenzheng", "fujian_biyezheng", "fujian_zhichengzheng"):
            assert fields[name]["items"]["properties"]["file_id"]["format"] == "xuanpin-file", name


def test_jb05_an_application_with_uploaded_scans_is_registered_and_readable_by_the_case(api):
    """JB-05: the clerk uploads the scans and registers the application with their ids; who
    may read the case (its starter, observers) may download them, a stranger may not."""
    with time_machine.travel(at("2026-03-03"), tick=False) as traveller:
        instance_id, registration = _registration(api, traveller)
        scans = _scans(api, "dangweigongzuobu", "张建国")
        form = shenqing("张建国", **scans)
        response = api.complete(
            registration["id"], "dangweigongzuobu", shenqing=form, shoudao_riqi="2026-03-03"
        )
        assert response.status_code == 200, response.json
        [record] = data(api, instance_id)["shenqing_list"]
        assert record["fujian_shenfenzheng"] == scans["fujian_shenfenzheng"]
        id_card = scans["fujian_shenfenzheng"][0]["file_id"]
        diploma = scans["fujian_biyezheng"][0]["file_id"]
        # gongzuozu started the case (reads its data); jijian observes; outsider has no part.
        for user in ("gongzuozu", "jijian", "dangweigongzuobu"):
            got = api.get(f"/api/v1/files/{id_card}", user=user)
            assert got.status_code == 200 and got.data == PDF, user
        assert api.get(f"/api/v1/files/{diploma}", user="gongzuozu").mimetype == "image/jpeg"
        for user in ("outsider", "jiebangren1", "pingwei1"):
            assert_problem(api.get(f"/api/v1/files/{id_card}", user=user), 404)


@pytest.mark.parametrize("whose", ["someone_elses", "unknown"])
def test_jb05_an_application_naming_a_file_the_clerk_may_not_use_is_refused(api, whose):
    """JB-05: a scan must be a file the submitter uploaded or may read: another person's
    private upload or an id that names no file is refused 422 on that field, nothing registered."""
    with time_machine.travel(at("2026-03-03"), tick=False) as traveller:
        instance_id, registration = _registration(api, traveller)
        scans = _scans(api, "dangweigongzuobu", "张建国")
        foreign = (
            uploaded(api, "jiebangren1", "张建国身份证.pdf")
            if whose == "someone_elses"
            else {"file_id": "sfz-张建国", "filename": "张建国身份证.pdf"}
        )
        form = shenqing("张建国", **{**scans, "fujian_shenfenzheng": [foreign]})
        body = assert_problem(
            api.complete(registration["id"], "dangweigongzuobu", shenqing=form, shoudao_riqi="2026-03-03"),
            422,
        )
        field = "shenqing.fujian_shenfenzheng.0.file_id"
        assert list(body["errors"]) == [field], body["errors"]
        [message] = body["errors"][field]
        assert foreign["file_id"] in message and "不是您上传或有权查看的文件" in message
        assert data(api, instance_id)["shenqing_list"] == []
        assert task(api, "dangweigongzuobu", "登记揭榜申请")["id"] == registration["id"]
        # The refused submission gave the clerk no way to the other person's file.
        if whose == "someone_elses":
            assert_problem(api.get(f"/api/v1/files/{foreign['file_id']}", user="dangweigongzuobu"), 404)


# --- retention (FH-07) -------------------------------------------------------------------


def test_fh07_retention_removes_the_files_only_purged_cases_refer_to(api, db, settings, monkeypatch):
    """FH-07: purging an old case's working data removes the uploads only it referred to; a file
    a kept (permanent) case also refers to stays, and so does one no case refers to yet."""
    from tests.test_retention import PERMANENT, T0, _apply, _deploy

    _deploy(api, "linshi")
    _deploy(api, "yongjiu", PERMANENT)

    def finished(pid: str, *attachments: dict[str, str]) -> str:
        instance_id = api.start(pid, user="gongzuozu").json["id"]
        [open_task] = api.inbox("gongzuozu", instance_id=instance_id)
        done = api.complete(open_task["id"], "gongzuozu", yijian="同意", fujian=list(attachments))
        assert done.status_code == 200, done.json
        return instance_id

    with time_machine.travel(T0, tick=False):
        only_old = uploaded(api, "gongzuozu", "仅旧案件.pdf")
        shared = uploaded(api, "gongzuozu", "两案共用.pdf")
        loose = uploaded(api, "gongzuozu", "尚未引用.pdf")
        old = finished("linshi", only_old, shared)
        finished("yongjiu", shared)
    assert api.get(f"/api/v1/files/{only_old['file_id']}", user="gongzuozu").status_code == 200

    _apply(monkeypatch, settings, days="365")
    assert_problem(api.get(f"/api/v1/files/{only_old['file_id']}", user="admin"), 404)
    for kept in (shared, loose):
        assert api.get(f"/api/v1/files/{kept['file_id']}", user="admin").status_code == 200
    purge = api.get(
        "/api/v1/audit", query_string={"instance_id": old, "action": "retention.purged"}
    ).json["items"]
    assert [event["detail"]["files"] for event in purge] == [1]


def test_no_step_and_no_start_data_hands_on_a_file_its_sender_may_not_read(api):
    """Whoever may read a task or a case may download the files it refers to, so a reference
    is checked wherever data enters: a step without a form and a case's start data refuse an
    attachment record naming a file the sender may not read (422 on that field)."""
    from tests.test_retention import _deploy

    _deploy(api, "linshi")
    private = uploaded(api, "renshi", "人事内部材料.pdf")
    started = api.start("linshi", user="gongzuozu", fujian=[private])
    body = assert_problem(started, 422)
    assert list(body["errors"]) == ["fujian.0.file_id"], body["errors"]
    instance_id = api.start("linshi", user="gongzuozu").json["id"]
    [open_task] = api.inbox("gongzuozu", instance_id=instance_id)
    body = assert_problem(api.complete(open_task["id"], "gongzuozu", cailiao={"zhu": private}), 422)
    assert list(body["errors"]) == ["cailiao.zhu.file_id"], body["errors"]
    assert "不是您上传或有权查看的文件" in body["errors"]["cailiao.zhu.file_id"][0]
    assert_problem(api.get(f"/api/v1/files/{private['file_id']}", user="gongzuozu"), 404)
    own = uploaded(api, "gongzuozu", "本人材料.pdf")
    assert api.complete(open_task["id"], "gongzuozu", cailiao={"zhu": own}).status_code == 200


def test_x05_a_file_in_a_personal_field_is_not_granted_to_whom_the_field_is_withheld(api):
    """X-05: a judge reads the case without its personal fields, so a scan kept in one is not
    theirs to download; the organising office (a personal-data role) and observers may."""
    from tests import bpmn

    document = bpmn.linear(
        "geren",
        bpmn.user("登记", 'camunda:candidateGroups="工作组"'),
        bpmn.user("评审", 'camunda:candidateGroups="评委"'),
        properties={"xuanpin:personalFields": "fujian", "xuanpin:personalDataRoles": "工作组"},
    )
    assert api.deploy(("geren.bpmn", document)).status_code == 201
    started = api.start("geren", user="gongzuozu", xingming="张建国")
    [registration] = api.inbox("gongzuozu", instance_id=started.json["id"])
    scan = uploaded(api, "gongzuozu", "身份证.pdf")
    assert api.complete(registration["id"], "gongzuozu", fujian=[scan]).status_code == 200
    assert [t["title"] for t in api.inbox("pingwei", instance_id=started.json["id"])] == ["评审"]
    assert "fujian" not in api.get(f"/api/v1/instances/{started.json['id']}", user="pingwei").json["data"]
    assert_problem(api.get(f"/api/v1/files/{scan['file_id']}", user="pingwei"), 404)
    for user in ("gongzuozu", "jijian"):
        assert api.get(f"/api/v1/files/{scan['file_id']}", user=user).status_code == 200, user
