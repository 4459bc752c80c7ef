"""Safe XML parsing shared by the feed parsers: no entities, no network, no huge trees."""

from __future__ import annotations

from lxml import etree

from digest.errors import SourceError

__all__ = ["NS", "child_text", "parse_xml"]

NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "arxiv": "http://arxiv.org/schemas/atom",
    "opensearch": "http://a9.com/-/spec/opensearch/1.1/",
    "dc": "http://purl.org/dc/elements/1.1/",
}


def parse_xml(data: bytes, source: str) -> etree._Element:
    # resolve_entities=False and no_network=True close XXE and billion-laughs style payloads.
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise SourceError(source, f"malformed XML: {exc.msg} (line {exc.lineno})") from None
    except ValueError as exc:  # e.g. an encoding declaration lxml refuses
        raise SourceError(source, f"unreadable XML: {exc}") from None
    if root is None:
        raise SourceError(source, "empty XML document")
    return root


def child_text(element: etree._Element, path: str) -> str | None:
    found = element.find(path, NS)
    if found is None:
        return None
    text = "".join(found.itertext()).strip()
    return text or None
