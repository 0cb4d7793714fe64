"""Hardened XML parsing: no DTDs, no entities, no network, no huge trees."""

from __future__ import annotations

from lxml import etree


class UnsafeXmlError(ValueError):
    pass


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
    )


def parse_xml(content: bytes) -> etree._Element:
    """Parse untrusted XML. Raises lxml's XMLSyntaxError or UnsafeXmlError."""
    root = etree.fromstring(content, parser=_parser())
    if root.getroottree().docinfo.doctype:
        raise UnsafeXmlError("文件包含 DOCTYPE 声明；为防止外部实体攻击，不接受带 DOCTYPE 的 XML")
    return root
