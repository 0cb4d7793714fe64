"""Attachments: upload a file, read its metadata, download it (services/files.py)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Response, request
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from werkzeug.exceptions import RequestEntityTooLarge

from service.api.context import container, principal
from service.api.problems import problem_responses
from service.api.schemas import ShanghaiDateTime
from service.domain.file_types import KINDS, ascii_fallback
from service.services import files
from service.services.errors import Invalid
from service.services.intake import MAX_EVIDENCE_FILES
from service.store.models import StoredFile

blp = Blueprint("files", __name__, url_prefix="/api/v1/files", description="附件")

# The REST upload and its twin on the pages (service/web/file_pages.py) take the same sizes.
# Endpoints taking uploads, with how many files of the largest allowed size one body may carry.
UPLOAD_ENDPOINTS = {"files.upload_file": 1, "web.upload_file": 1, "web.objection": MAX_EVIDENCE_FILES}
# Room for the multipart framing around a file of the largest allowed size.
MULTIPART_OVERHEAD = 64 * 1024


class FileSchema(Schema):
    id = fields.String(metadata={"description": "文件编号：填入表单中 format 为 xuanpin-file 的字段"})
    name = fields.String(attribute="filename", metadata={"description": "上传时的文件名"})
    type = fields.String(attribute="content_type", metadata={"description": "按文件内容判定的类型"})
    size = fields.Integer(metadata={"description": "字节数"})
    sha256 = fields.String(metadata={"description": "内容的 SHA-256（十六进制）"})
    uploaded_by = fields.String()
    uploaded_at = ShanghaiDateTime(metadata={"description": "上传时间（北京时间）"})


_UPLOAD_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "PDF、JPEG、PNG、OFD、Word、Excel（按内容判定）",
                        }
                    },
                    "required": ["file"],
                }
            }
        },
    }
}

_BINARY = {"schema": {"type": "string", "format": "binary"}}
_DOWNLOAD_DOC = {
    "responses": {
        "200": {
            "description": "文件内容（Content-Disposition 带文件名）",
            "content": {kind.content_type: _BINARY for kind in KINDS.values()},
        }
    }
}


def allow_upload_size() -> None:
    """before_request, ahead of the input gate (which reads the form): an upload's body may be
    its file at the largest allowed size plus the multipart framing; every other body keeps
    the app-wide MAX_CONTENT_LENGTH."""
    if request.endpoint not in UPLOAD_ENDPOINTS:
        return
    limit = container().settings.max_upload_bytes * UPLOAD_ENDPOINTS[request.endpoint]
    request.max_content_length = limit + MULTIPART_OVERHEAD
    if request.content_length is not None and request.content_length > limit + MULTIPART_OVERHEAD:
        raise files.PayloadTooLarge(
            f"上传内容有 {files.size_words(request.content_length)}，超过上限 {files.size_words(limit)}；"
            "请压缩或分开上传",
            errors={"file": [f"超过 {files.size_words(limit)}"]},
            limit_bytes=limit,
        )


@blp.route("", methods=["POST"])
@blp.doc(**_UPLOAD_DOC)
@blp.response(201, FileSchema)
@problem_responses(blp, 415)
def upload_file() -> Any:
    """上传附件（multipart/form-data，字段 file）：按内容判定类型，返回文件编号供表单引用"""
    try:
        upload = request.files.get("file")
    except RequestEntityTooLarge:
        limit = container().settings.max_upload_bytes
        raise files.PayloadTooLarge(
            f"上传内容超过上限 {files.size_words(limit)}；请压缩或分开上传", limit_bytes=limit
        ) from None
    if upload is None:
        raise Invalid("请以 multipart/form-data 上传，文件放在字段 file 中", errors={"file": ["缺少文件"]})
    limit = container().settings.max_upload_bytes
    content = upload.stream.read(limit + 1)  # one byte more tells "too large" without reading it all
    return files.upload(container(), principal(), upload.filename, content)


@blp.route("/<string:file_id>/meta")
@blp.response(200, FileSchema)
def file_meta(file_id: str) -> Any:
    """附件信息：文件名、类型、大小、SHA-256、上传人和时间"""
    return files.metadata(container(), principal(), file_id)


@blp.route("/<string:file_id>")
@blp.doc(**_DOWNLOAD_DOC)
def download_file(file_id: str) -> Response:
    """下载附件：仅上传人、管理员和监督角色，以及有权查看引用它的任务或案件的人"""
    return file_response(files.download(container(), principal(), file_id))


def file_response(stored: StoredFile) -> Response:
    """A stored file as a download (also served to the pages, service/web/file_pages.py)."""
    response = Response(stored.content, mimetype=stored.content_type)
    # RFC 6266 with RFC 5987's filename* for the Chinese name; the plain filename for old clients.
    fallback = ascii_fallback(stored.filename, f"file-{stored.id[:8]}")
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(stored.filename, safe='')}"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"  # scans of ID cards stay off shared caches
    response.headers["ETag"] = f'"{stored.sha256}"'
    return response
