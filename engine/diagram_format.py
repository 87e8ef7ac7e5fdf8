"""Write BPMN/DMN files the way Camunda Modeler does: one element per line, two-space indent, text kept."""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from .errors import DiagramFormatError
from .safe_xml import safe_parser

__all__ = ["DiagramFormatError", "format_diagram", "same_content"]

DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
INDENT = "  "
XML_NS = "http://www.w3.org/XML/1998/namespace"
_XML_WHITESPACE = " \t\r\n"
_FORBIDDEN = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
_TEXT_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"}
_ATTR_ESCAPES = {**_TEXT_ESCAPES, '"': "&quot;", "\n": "&#10;", "\t": "&#9;"}
_TEXT_CHARS = re.compile(r"[&<>\r]")
_ATTR_CHARS = re.compile(r'[&<>\r"\n\t]')


def _parse(source: bytes) -> Any:
    if _FORBIDDEN.search(source):
        raise DiagramFormatError("a DOCTYPE or ENTITY declaration is not allowed in a diagram")
    try:
        # Whitespace-only text is kept by the parser and judged per element below.
        root = etree.fromstring(source, safe_parser())
    except etree.XMLSyntaxError as exc:
        raise DiagramFormatError(f"not well-formed XML: {exc.msg}") from None
    tree = root.getroottree()
    # Checked again after parsing: a declaration in another encoding escapes the byte search.
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise DiagramFormatError("a DOCTYPE or ENTITY declaration is not allowed in a diagram")
    if any(isinstance(node, etree._Entity) for node in root.iter()):
        raise DiagramFormatError("entity references are not allowed in a diagram")
    return tree


def _blank(text: str | None) -> bool:
    return text is None or text.strip(_XML_WHITESPACE) == ""


def _escape_text(text: str) -> str:
    return _TEXT_CHARS.sub(lambda m: _TEXT_ESCAPES[m.group()], text)


def _escape_attr(value: str) -> str:
    return _ATTR_CHARS.sub(lambda m: _ATTR_ESCAPES[m.group()], value)


def _qname(tag: str, prefix: str | None) -> str:
    local = tag.split("}", 1)[1] if tag.startswith("{") else tag
    return f"{prefix}:{local}" if prefix else local


def _attr_name(el: Any, name: str) -> str:
    if not name.startswith("{"):
        return name
    uri, local = name[1:].split("}", 1)
    if uri == XML_NS:
        return f"xml:{local}"
    for prefix, bound in el.nsmap.items():
        if prefix is not None and bound == uri:
            return f"{prefix}:{local}"
    raise DiagramFormatError(f"no prefix for attribute namespace {uri!r}")  # lxml always declares one


def _start_tag(el: Any) -> str:
    parent = el.getparent()
    inherited: dict[str | None, str] = dict(parent.nsmap) if parent is not None else {}
    parts = [_qname(el.tag, el.prefix)]
    for prefix, uri in el.nsmap.items():
        if inherited.get(prefix) != uri:
            parts.append(f'xmlns:{prefix}="{_escape_attr(uri)}"' if prefix else f'xmlns="{_escape_attr(uri)}"')
    if None in inherited and None not in el.nsmap:
        parts.append('xmlns=""')
    for name, value in el.attrib.items():
        parts.append(f'{_attr_name(el, name)}="{_escape_attr(value)}"')
    return "<" + " ".join(parts)


def _other_node(node: Any) -> str:
    if isinstance(node, etree._Comment):
        return f"<!--{node.text or ''}-->"
    if isinstance(node, etree._ProcessingInstruction):
        return f"<?{node.target} {node.text}?>" if node.text else f"<?{node.target}?>"
    raise DiagramFormatError(f"unexpected node {node!r}")


def _element_only(el: Any) -> bool:
    """True when the element has children and no text but whitespace between them."""
    children = list(el)
    return bool(children) and _blank(el.text) and all(_blank(child.tail) for child in children)


def _verbatim(node: Any, out: list[str]) -> None:
    """Write a node exactly as parsed (text and tails untouched); for text and mixed content."""
    if not isinstance(node.tag, str):
        out.append(_other_node(node))
        return
    children = list(node)
    start = _start_tag(node)
    if node.text is None and not children:
        out.append(start + " />")
        return
    out.append(start + ">")
    out.append(_escape_text(node.text or ""))
    for child in children:
        _verbatim(child, out)
        out.append(_escape_text(child.tail or ""))
    out.append(f"</{_qname(node.tag, node.prefix)}>")


def _formatted(node: Any, level: int, lines: list[str]) -> None:
    pad = INDENT * level
    if not isinstance(node.tag, str) or not _element_only(node):
        out: list[str] = []
        _verbatim(node, out)
        lines.append(pad + "".join(out))
        return
    lines.append(pad + _start_tag(node) + ">")
    for child in node:
        _formatted(child, level + 1, lines)
    lines.append(f"{pad}</{_qname(node.tag, node.prefix)}>")


def format_diagram(source: bytes) -> bytes:
    """Rewrite a BPMN or DMN document as Camunda Modeler writes it.

    The result starts with a UTF-8 XML declaration and puts every element on its own
    line, indented two spaces per level, with its attributes (original order) and
    namespace declarations on that line. Elements that hold text or mixed content are
    written exactly as they were, text included. Comments are kept; the file ends with
    a newline. Formatting is idempotent and leaves `same_content` true.

    Raises DiagramFormatError (a ValueError) for XML that is not well-formed or that
    has a DOCTYPE or entity declaration.
    """
    tree = _parse(source)
    root = tree.getroot()
    lines = [DECLARATION]
    lines += [_other_node(node) for node in reversed(list(root.itersiblings(preceding=True)))]
    _formatted(root, 0, lines)
    lines += [_other_node(node) for node in root.itersiblings()]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _canonical(source: bytes) -> bytes:
    tree = _parse(source)
    for node in tree.getroot().iter():
        if _blank(node.text) and isinstance(node.tag, str):
            node.text = None
        if _blank(node.tail):
            node.tail = None
    return bytes(etree.tostring(tree, method="c14n", with_comments=True))


def same_content(a: bytes, b: bytes) -> bool:
    """Whether two XML documents are the same but for formatting.

    Compares their canonical XML (C14N, comments included) after dropping text that is
    only whitespace. Raises DiagramFormatError if either cannot be parsed safely.
    """
    return _canonical(a) == _canonical(b)
