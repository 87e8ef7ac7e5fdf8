"""Readable names for a case page: element names and data labels, read from the diagram."""

from __future__ import annotations

from functools import lru_cache

from flask_babel import gettext as _
from lxml import etree

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"


@lru_cache(maxsize=32)
def element_names(xml: bytes) -> dict[str, str]:
    """Element id → name, read from the diagram, for a readable timeline."""
    try:
        root = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False,
                                                            no_network=True))
    except etree.XMLSyntaxError:
        return {}
    return {el.get("id"): el.get("name") for el in root.iter()
            if isinstance(el.tag, str) and el.get("id") and el.get("name")}


def data_labels(xml: bytes) -> dict[str, str]:
    """Case data key → label people read: the diagram's form labels, then the common keys."""
    labels = {
        "title": _("Title"), "risk_colour": _("Risk colour"), "risk_class": _("Class"),
        "campaign_id": _("Campaign"), "case_leader": _("Case leader"),
        "case_handler": _("Case handler"), "petitioner_name": _("Petitioner"),
        "demand": _("Demand"),
    }
    try:
        root = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False,
                                                            no_network=True))
    except etree.XMLSyntaxError:
        return labels
    for field in root.iter(f"{{{CAMUNDA_NS}}}formField"):
        if field.get("id") and field.get("label"):
            labels.setdefault(field.get("id"), field.get("label"))
    return labels


@lru_cache(maxsize=32)
def option_names(xml: bytes) -> dict[str, dict[str, str]]:
    """Field id → {option id → option name}, so a case shows 来访 rather than `visit`."""
    try:
        root = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False,
                                                            no_network=True))
    except etree.XMLSyntaxError:
        return {}
    names: dict[str, dict[str, str]] = {}
    for field in root.iter(f"{{{CAMUNDA_NS}}}formField"):
        for option in field.iter(f"{{{CAMUNDA_NS}}}value"):
            if field.get("id") and option.get("id") and option.get("name"):
                names.setdefault(field.get("id"), {})[option.get("id")] = option.get("name")
    return names
