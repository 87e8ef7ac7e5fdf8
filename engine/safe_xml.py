"""The one XML parser configuration for diagrams: no entities, no DTD, no network, no huge trees."""

from __future__ import annotations

from typing import Any

from lxml import etree


def safe_parser() -> Any:
    """An lxml parser that never resolves entities, loads a DTD or touches the network.

    Whitespace and comments are kept: callers decide what to do with them.
    """
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
        remove_comments=False,
        remove_pis=False,
    )
