"""A panel form in, the `/papers` command text out (pure).

The forms hold no rule of their own: they only spell what a person would type, and the
shared grammar and handlers accept or refuse it, with the same messages as in chat.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from digest.errors import UsageError
from digest.models import WEEKDAYS

__all__ = ["ASKS", "CHANGES", "DAY_CHOICES", "command_text"]

DAY_CHOICES: tuple[tuple[str, str], ...] = (
    ("weekdays", "weekdays"),
    ("daily", "daily"),
    *((f"weekly {d}", f"weekly on {d.capitalize()}") for d in WEEKDAYS),
)


def _field(form: Mapping[str, str], name: str, *, required: bool = True) -> str:
    """One field, on one line (a newline would change how the grammar reads the text)."""
    value = " ".join(str(form.get(name, "")).split())
    if required and not value:
        raise UsageError(f"the form's `{name}` is empty")
    return value


def _interests_add(form: Mapping[str, str]) -> str:
    weight = _field(form, "weight", required=False)
    return f"interests add {_field(form, 'text')}" + (f" --weight {weight}" if weight else "")


def _interests_weight(form: Mapping[str, str]) -> str:
    return f"interests weight {_field(form, 'number')} {_field(form, 'weight')}"


def _follow(form: Mapping[str, str]) -> str:
    """An author (the default), a category or an exact phrase; ``instant`` ticked posts each
    new match at once instead of in the digest."""
    kind = _field(form, "kind", required=False) or "author"
    # Quotes would end the name or phrase early: the grammar reads them as delimiters.
    what = _field(form, "author" if kind == "author" and "author" in form else "what")
    what = what.replace('"', "")
    instant = " --instant" if _field(form, "instant", required=False) == "yes" else ""
    match kind:
        case "author":
            return f'follow author:"{what}"{instant}'
        case "cat":
            return f"follow cat:{what}{instant}"
        case "phrase":
            return f'follow "{what}"{instant}'
    raise UsageError(f"`{kind[:20]}` is not author, cat or phrase")


def _trends(form: Mapping[str, str]) -> str:
    day = _field(form, "day", required=False)
    if not day:
        return "trends off"
    return f"trends weekly {day} {_field(form, 'time')}"


def _schedule(form: Mapping[str, str]) -> str:
    parts = ["schedule", _field(form, "time"), _field(form, "timezone", required=False)]
    days = _field(form, "days", required=False)
    if days and days not in {value for value, _ in DAY_CHOICES}:
        raise UsageError(f"`{days}` is not weekdays, daily or weekly <day>")
    return " ".join(p for p in (*parts, days) if p)


def _clear(form: Mapping[str, str]) -> str:
    if _field(form, "confirm", required=False) != "yes":
        raise UsageError("tick the box to confirm removing every interest")
    return "interests clear --yes"


CHANGES: dict[str, Callable[[Mapping[str, str]], str]] = {
    "interests_add": _interests_add,
    "interests_remove": lambda f: f"interests remove {_field(f, 'number')}",
    "interests_weight": _interests_weight,
    "interests_clear": _clear,
    "follow": _follow,
    "category": lambda f: f"category {_field(f, 'category')}",
    "schedule": _schedule,
    "size": lambda f: f"size {_field(f, 'size')}",
    "threshold": lambda f: f"threshold {_field(f, 'threshold')}",
    "quiet": lambda f: f"quiet {_field(f, 'mode')}",
    "threads": lambda f: f"threads {_field(f, 'mode')}",
    "layout": lambda f: f"layout {_field(f, 'layout')}",
    "boost": lambda f: f"boost {_field(f, 'boost')} {_field(f, 'state')}",
    "pause": lambda f: "pause",
    "resume": lambda f: "resume",
    "digest_now": lambda f: "digest now",
    "trends": _trends,
}
# Read-only commands the panel shows as a page of their own (GET .../ask?command=...).
ASKS: dict[str, Callable[[Mapping[str, str]], str]] = {
    "preview": lambda f: "preview",
    "status": lambda f: "status",
    "settings": lambda f: "settings",
    "interests list": lambda f: "interests list",
    "search": lambda f: f"search {_field(f, 'q')}",
    "summary": lambda f: f"summary {_field(f, 'q')}",
}


def command_text(
    kind: Mapping[str, Callable[[Mapping[str, str]], str]], action: str, form: Mapping[str, str]
) -> str:
    """The command a form spells; UsageError for an unknown action or an empty field."""
    build = kind.get(action)
    if build is None:
        raise UsageError(f"unknown panel action `{action[:40]}`")
    return build(form)
