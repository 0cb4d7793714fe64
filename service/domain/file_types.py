"""What an uploaded file is, judged by its bytes (a client's Content-Type and a file's extension
are only claims): the kinds of scanned certificates and documents a procedure's forms accept.

Plain functions over bytes in memory: no I/O."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass


@dataclass(frozen=True)
class FileKind:
    name: str  # the setting's word: pdf, jpeg, png, ofd, doc, docx, xls, xlsx
    content_type: str
    label: str  # what a person calls it
    extensions: tuple[str, ...]


KINDS: dict[str, FileKind] = {
    kind.name: kind
    for kind in (
        FileKind("pdf", "application/pdf", "PDF 文档", (".pdf",)),
        FileKind("jpeg", "image/jpeg", "JPEG 图片", (".jpg", ".jpeg", ".jpe")),
        FileKind("png", "image/png", "PNG 图片", (".png",)),
        FileKind("ofd", "application/ofd", "OFD 版式文档", (".ofd",)),
        FileKind("doc", "application/msword", "Word 97-2003 文档", (".doc",)),
        FileKind(
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "Word 文档",
            (".docx",),
        ),
        FileKind("xls", "application/vnd.ms-excel", "Excel 97-2003 表格", (".xls",)),
        FileKind(
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "Excel 表格",
            (".xlsx",),
        ),
    )
}
DEFAULT_ALLOWED = tuple(KINDS)

_PDF = b"%PDF-"
_JPEG = b"\xff\xd8\xff"
_PNG = b"\x89PNG\r\n\x1a\n"
_ZIP = b"PK\x03\x04"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the compound file of Office 97-2003


def sniff(content: bytes) -> FileKind | None:
    """The kind the bytes are, or None when they are none of KINDS."""
    if content.startswith(_PDF):
        return KINDS["pdf"]
    if content.startswith(_JPEG):
        return KINDS["jpeg"]
    if content.startswith(_PNG):
        return KINDS["png"]
    if content.startswith(_ZIP):
        return _zip_kind(content)
    if content.startswith(_OLE2):
        return _ole2_kind(content)
    return None


def _zip_kind(content: bytes) -> FileKind | None:
    """OFD (GB/T 33190) and Office Open XML are ZIP packages told apart by what they hold."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as package:
            names = set(package.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return None
    if "OFD.xml" in names:
        return KINDS["ofd"]
    if "[Content_Types].xml" in names:
        if any(name.startswith("word/") for name in names):
            return KINDS["docx"]
        if any(name.startswith("xl/") for name in names):
            return KINDS["xlsx"]
    return None


def _ole2_kind(content: bytes) -> FileKind | None:
    """A compound file's directory names its streams in UTF-16LE: a Word document has
    "WordDocument", a workbook "Workbook" (or "Book" before Excel 97)."""
    if "WordDocument".encode("utf-16-le") in content:
        return KINDS["doc"]
    if "Workbook".encode("utf-16-le") in content or "Book".encode("utf-16-le") in content:
        return KINDS["xls"]
    return None


def extension_of(filename: str) -> str:
    dot = filename.rfind(".")
    return filename[dot:].lower() if dot > 0 else ""


def claimed_kind(filename: str) -> FileKind | None:
    """The kind a file's extension claims, when it is one of KINDS."""
    extension = extension_of(filename)
    return next((kind for kind in KINDS.values() if extension in kind.extensions), None)


def clean_filename(filename: str) -> str:
    """The name a person gave the file, without the client's folders (a browser on Windows may
    send C:\\fakepath\\…) or surrounding spaces."""
    return filename.replace("\\", "/").rsplit("/", 1)[-1].strip()


def ascii_fallback(filename: str, fallback_stem: str) -> str:
    """For Content-Disposition's plain `filename=` (RFC 6266): the name itself when it is plain
    printable ASCII, else the fallback stem with the name's extension; `filename*` carries the
    real name."""
    if filename.isascii() and filename.isprintable() and '"' not in filename and "\\" not in filename:
        return filename
    extension = extension_of(filename)
    return fallback_stem + (extension if extension.isascii() else "")
