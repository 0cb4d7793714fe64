"""Attachments in tests: a form's file field takes the id of a file uploaded first
(POST /api/v1/files). Test data names the files it attaches with `pending(filename)`;
`with_uploads` (called by the `api` fixture's `complete`) uploads each as the submitter and
puts the returned id in, so every submission carries real, usable file ids."""

from __future__ import annotations

import io
from typing import Any

# The smallest bytes each kind is recognised by (service/domain/file_types.py).
PDF = b"%PDF-1.7\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 16

PENDING = "upload:"  # a file_id a test has not uploaded yet


def pending(filename: str) -> dict[str, str]:
    return {"file_id": PENDING, "filename": filename}


def upload(api: Any, user: str, filename: str, content: bytes = PDF) -> Any:
    return api.post(
        "/api/v1/files",
        user=user,
        data={"file": [(io.BytesIO(content), filename)]},  # the shape tests/live.py also sends
        content_type="multipart/form-data",
    )


def uploaded(api: Any, user: str, filename: str, content: bytes = PDF) -> dict[str, str]:
    """An attachment record {"file_id", "filename"} of a file `user` uploads now."""
    response = upload(api, user, filename, content)
    assert response.status_code == 201, response.get_data(as_text=True)
    return {"file_id": response.json["id"], "filename": filename}


def _content_for(filename: str) -> bytes:
    lowered = filename.lower()
    if lowered.endswith(".png"):
        return PNG
    if lowered.endswith((".jpg", ".jpeg")):
        return JPEG
    if lowered.endswith(".docx"):
        return docx()
    return PDF


def docx() -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def with_uploads(api: Any, user: str, value: Any) -> Any:
    """A copy of value with each pending attachment uploaded by `user`."""
    if isinstance(value, dict):
        if value.get("file_id") == PENDING and isinstance(value.get("filename"), str):
            return uploaded(api, user, value["filename"], _content_for(value["filename"]))
        return {key: with_uploads(api, user, item) for key, item in value.items()}
    if isinstance(value, list):
        return [with_uploads(api, user, item) for item in value]
    return value
