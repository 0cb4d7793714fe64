"""Attachments on the pages: upload (JSON for the page's script) and download, through the
same services/files.py as POST /api/v1/files and GET /api/v1/files/<id>, with the session's
principal (who may read a file is decided there)."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request, url_for

from service.api.context import container
from service.api.files import file_response
from service.services import files
from service.services.errors import Invalid, ServiceError
from service.web.auth import current_principal, login_required
from service.web.views import bp


@bp.route("/files", methods=["POST"])
@login_required
def upload_file() -> Any:
    """Answers {id, name, url} or {detail} with the service's status (the page shows it)."""
    app = container()
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise Invalid("请选择要上传的文件", errors={"file": ["缺少文件"]})
        limit = app.settings.max_upload_bytes
        stored = files.upload(app, current_principal(), upload.filename, upload.stream.read(limit + 1))
    except ServiceError as refused:
        return jsonify({"detail": refused.detail}), refused.status
    return jsonify(
        {"id": stored.id, "name": stored.filename, "url": url_for("web.download_file", file_id=stored.id)}
    ), 201


@bp.route("/files/<file_id>")
@login_required
def download_file(file_id: str) -> Any:
    return file_response(files.download(container(), current_principal(), file_id))
