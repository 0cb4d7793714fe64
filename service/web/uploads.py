"""File fields on the pages: an upload control for an attachment record ({"file_id",
"filename"}, the id field marked "format": "xuanpin-file", service/forms.py), alone or as a list.

With JavaScript the file goes to POST /files (the web twin of POST /api/v1/files, the same
services/files.upload) the moment it is chosen, and the page keeps the returned id in hidden
inputs. Without JavaScript the chosen files travel with the form (`<field>.__upload`) and are
uploaded here first, then added to the post as if the page had kept them. Either way the
submission only names ids, which tasks.complete checks (files.check_submitted_files) as for
any REST client.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import request
from werkzeug.datastructures import FileStorage, MultiDict

from service.container import Container
from service.forms import is_file_field
from service.services import files
from service.services.errors import ServiceError
from service.services.principal import Principal
from service.web.formdata import _properties, _rows, _type, form_to_data

UPLOAD = "__upload"


def file_slot(schema: Any) -> tuple[str, str | None] | None:
    """(id field, name field) when `schema` is an attachment record, else None."""
    if not isinstance(schema, Mapping) or _type(schema) != "object":
        return None
    properties = schema.get("properties") or {}
    id_field = next((name for name, sub in properties.items() if is_file_field(sub)), None)
    if id_field is None:
        return None
    name_field = "filename" if "filename" in properties else None
    return id_field, name_field


def file_list_slot(schema: Any) -> tuple[str, str | None] | None:
    """The same for a list of attachment records."""
    if not isinstance(schema, Mapping) or _type(schema) != "array":
        return None
    return file_slot(schema.get("items"))


def attach_uploads(
    app: Container,
    principal: Principal,
    schema: Mapping[str, Any],
    post: MultiDict[str, str],
    uploads: MultiDict[str, FileStorage],
) -> tuple[MultiDict[str, str], dict[str, list[str]]]:
    """The post with each file sent along the form uploaded and named in its field; errors per
    field for the files refused (too large, wrong type), in the server's own words."""
    form: MultiDict[str, str] = MultiDict(post)
    errors: dict[str, list[str]] = {}
    for path, sub in _file_fields(schema, ""):
        chosen = [f for f in uploads.getlist(f"{path}.{UPLOAD}") if f and f.filename]
        if not chosen:
            continue
        many = file_list_slot(sub)
        slot = many or file_slot(sub)
        assert slot is not None
        id_field, name_field = slot
        for upload in chosen if many else chosen[-1:]:
            limit = app.settings.max_upload_bytes
            try:
                stored = files.upload(app, principal, upload.filename, upload.stream.read(limit + 1))
            except ServiceError as refused:
                errors.setdefault(path, []).append(refused.detail)
                continue
            prefix = f"{path}.{max(_rows(form, path), default=-1) + 1}." if many else f"{path}."
            form[f"{prefix}{id_field}"] = stored.id
            if name_field:
                form[f"{prefix}{name_field}"] = stored.filename
    return form, errors


def _file_fields(schema: Mapping[str, Any], prefix: str) -> list[tuple[str, Mapping[str, Any]]]:
    found: list[tuple[str, Mapping[str, Any]]] = []
    for name, sub in _properties(schema).items():
        path = f"{prefix}{name}"
        if file_slot(sub) or file_list_slot(sub):
            found.append((path, sub))
        elif _type(sub) == "object":
            found += _file_fields(sub, f"{path}.")
    return found


def read_form(
    app: Container, principal: Principal, schema: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The posted form (files sent along uploaded first) as the data its schema describes."""
    post, refused = attach_uploads(app, principal, schema, request.form, request.files)
    values, errors = form_to_data(schema, post)
    for path, messages in refused.items():
        errors.setdefault(path, []).extend(messages)
    return values, errors
