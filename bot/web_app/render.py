"""The panel's Jinja2 environment: every value is HTML-escaped unless a template says not."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

__all__ = ["render", "safe_url"]

_TEMPLATES = Path(__file__).with_name("templates")


def safe_url(value: object) -> str:
    """Links from papers and platforms are untrusted: only http(s) ones are kept."""
    text = str(value or "")
    return text if text.lower().startswith(("https://", "http://")) else "#"


@lru_cache(maxsize=1)
def _environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(_TEMPLATES),
        autoescape=select_autoescape(["html"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["safe_url"] = safe_url
    return environment


def render(template: str, **values: Any) -> str:
    defaults: dict[str, Any] = {"base": None, "channel_base": None, "flash": None}
    return _environment().get_template(template).render({**defaults, **values})
