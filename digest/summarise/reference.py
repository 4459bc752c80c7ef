"""What a person typed after `/papers summary`: an arXiv id, a link, a DOI, or title words.

User-supplied URLs are only ever *parsed* for the paper they name, never fetched: that is
the first line of defence against SSRF. A URL on any other host, an IP address, another
scheme or a ``user@host`` trick is refused with a clear message.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from digest.errors import UsageError
from digest.identifiers import find_arxiv_id, normalise_doi, parse_arxiv_id

__all__ = ["KNOWN_HOSTS", "Reference", "parse_reference"]

KNOWN_HOSTS = {
    "arxiv.org",
    "www.arxiv.org",
    "export.arxiv.org",
    "huggingface.co",
    "www.huggingface.co",
    "doi.org",
    "dx.doi.org",
}
_ARXIV_DOI = re.compile(r"^10\.48550/arxiv\.(.+)$", re.IGNORECASE)
MAX_REFERENCE = 500


@dataclass(frozen=True, kw_only=True, slots=True)
class Reference:
    kind: str  # arxiv | doi | title
    value: str


def _refuse(reason: str) -> UsageError:
    return UsageError(
        f"{reason}. Use an arXiv id, an arxiv.org or huggingface.co/papers link, "
        "a DOI, or title words"
    )


def _from_url(text: str) -> Reference:
    try:
        parts = urlsplit(text)
        port = parts.port  # raises on a malformed port
    except ValueError:
        raise _refuse("that link is malformed") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise _refuse(f"`{parts.scheme}:` links are not fetched")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise _refuse("links with a user name (`user@host`) are refused")
    host = (parts.hostname or "").lower().rstrip(".")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        raise _refuse("links to IP addresses are refused")
    if host not in KNOWN_HOSTS:
        raise _refuse(
            f"links to {host or 'that host'} are not followed (only arxiv.org, "
            "huggingface.co and doi.org)"
        )
    if port not in (None, 80, 443):
        raise _refuse("links with an unusual port are refused")
    if host in ("doi.org", "dx.doi.org"):
        return _from_doi(parts.path.lstrip("/"))
    arxiv = find_arxiv_id(parts.path)
    if arxiv is None:
        raise _refuse(f"no paper id in that {host} link")
    return Reference(kind="arxiv", value=arxiv.base)


def _from_doi(text: str) -> Reference:
    doi = normalise_doi(text)
    if doi is None:
        raise _refuse(f"`{text}` is not a DOI")
    arxiv_doi = _ARXIV_DOI.match(doi)
    if arxiv_doi and (arxiv := parse_arxiv_id(arxiv_doi.group(1))):
        return Reference(kind="arxiv", value=arxiv.base)  # arXiv's own DOIs name the paper
    return Reference(kind="doi", value=doi)


def parse_reference(text: str) -> Reference:
    text = text.strip().strip("<>")
    if not text:
        raise _refuse("say which paper")
    if len(text) > MAX_REFERENCE:
        raise _refuse(f"that is longer than {MAX_REFERENCE} characters")
    if re.match(r"^[a-z][a-z0-9+.-]*://", text, re.IGNORECASE) or text.lower().startswith(
        ("file:", "gopher:", "javascript:", "data:", "ftp:")
    ):
        return _from_url(text)
    if re.match(r"^(www\.)?(arxiv\.org|huggingface\.co)/", text, re.IGNORECASE):
        return _from_url("https://" + text)
    arxiv = parse_arxiv_id(text)
    if arxiv is not None:
        return Reference(kind="arxiv", value=arxiv.base)
    if text.lower().startswith(("doi:", "10.")):
        return _from_doi(text)
    return Reference(kind="title", value=text)
