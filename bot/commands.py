"""The `/papers` grammar shared by every platform: text in, a parsed command out (pure).

Platforms only differ in how the text arrives (a Slack slash command's ``text``, Discord's
typed options, a console line); all of them end here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from digest.errors import UsageError
from digest.models import WEEKDAYS

__all__ = [
    "BOOSTS",
    "COMMANDS",
    "LAYOUTS",
    "MAX_COMMAND_LENGTH",
    "PERSONAL_COMMANDS",
    "QUIET_MODES",
    "Command",
    "CommandSpec",
    "parse_command",
    "usage_of",
]

MAX_COMMAND_LENGTH = 1000
DEFAULT_TREND_WEEKS = 8
MAX_TREND_WEEKS = 52


@dataclass(frozen=True, kw_only=True, slots=True)
class CommandSpec:
    name: str
    usage: str
    summary: str
    changes_settings: bool = False


COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec(name="help", usage="help", summary="List the commands"),
    CommandSpec(
        name="interests add",
        usage="interests add <text> [--weight N]",
        summary='Add an interest: words, "phrases", -exclusions, author:, cat:, like:',
        changes_settings=True,
    ),
    CommandSpec(
        name="interests remove",
        usage="interests remove <number|text>",
        summary="Remove an interest by its number in `interests list` or its text",
        changes_settings=True,
    ),
    CommandSpec(
        name="interests weight",
        usage="interests weight <number> <weight>",
        summary="Change how much an interest counts (above 0, at most 10; 1 is the default)",
        changes_settings=True,
    ),
    CommandSpec(name="interests list", usage="interests list", summary="Show the interests"),
    CommandSpec(
        name="interests clear",
        usage="interests clear",
        summary="Remove every interest (asks to confirm)",
        changes_settings=True,
    ),
    CommandSpec(
        name="follow",
        usage='follow author:"Name" | cat:<category> | "exact phrase" [--instant]',
        summary="Follow an author, a category or a phrase; --instant posts each new match "
        "at once (an alert) instead of in the next digest",
        changes_settings=True,
    ),
    CommandSpec(
        name="category",
        usage="category <arXiv category>",
        summary="Follow an arXiv category, e.g. cs.LG",
        changes_settings=True,
    ),
    CommandSpec(
        name="schedule",
        usage="schedule <HH:MM> [timezone] [weekdays|daily|weekly <day>]",
        summary="When the digest is posted",
        changes_settings=True,
    ),
    CommandSpec(
        name="size",
        usage="size <1-25>",
        summary="How many papers a digest holds at most",
        changes_settings=True,
    ),
    CommandSpec(
        name="threshold",
        usage="threshold <0-1>",
        summary="Leave out papers less relevant than this (default 0.25): a weak day's digest "
        "is shorter, never padded",
        changes_settings=True,
    ),
    CommandSpec(
        name="quiet",
        usage="quiet <say|silent>",
        summary="When nothing new matches: say so, or post nothing",
        changes_settings=True,
    ),
    CommandSpec(
        name="pause", usage="pause", summary="Stop posting digests here", changes_settings=True
    ),
    CommandSpec(
        name="resume", usage="resume", summary="Post digests here again", changes_settings=True
    ),
    CommandSpec(
        name="threads",
        usage="threads <on|off>",
        summary="Post each digest in a new thread instead of the channel",
        changes_settings=True,
    ),
    CommandSpec(
        name="layout",
        usage="layout <grouped|single>",
        summary="Several papers per message, or one message per paper (react 👍/👎 to vote)",
        changes_settings=True,
    ),
    CommandSpec(
        name="boost",
        usage="boost <upvotes|recency|code> <on|off>",
        summary="Rank higher papers with many HF upvotes, new papers, or papers with code",
        changes_settings=True,
    ),
    CommandSpec(
        name="settings", usage="settings", summary="Show (and edit) this channel's settings"
    ),
    CommandSpec(name="digest now", usage="digest now", summary="Post a digest right now"),
    CommandSpec(
        name="preview",
        usage="preview",
        summary="What the next digest would hold, and why (only you see it)",
    ),
    CommandSpec(name="search", usage="search <query>", summary="Find papers"),
    CommandSpec(
        name="summary",
        usage="summary <arXiv id | arXiv/HF URL | title words>",
        summary="Summarise a paper",
    ),
    CommandSpec(name="status", usage="status", summary="Sources' health, last and next digest"),
    CommandSpec(
        name="trends",
        usage="trends [weeks] | trends weekly <day> <HH:MM> | trends off",
        summary="A picture of the last weeks (default 8): papers per interest and week, "
        "top-voted papers, emerging phrases; or post it weekly",
    ),
    CommandSpec(
        name="me",
        usage="me <interests …|follow …|schedule …|size|threshold|pause|resume|settings|"
        "digest now|preview|dedupe on|off>",
        summary="Your own digest by direct message, with your own interests and schedule",
    ),
    CommandSpec(
        name="why",
        usage="why <arXiv id | link | title words>",
        summary="Why a paper was (not) posted here: fetched?, scores, threshold, filters, rank",
    ),
    CommandSpec(
        name="panel",
        usage="panel",
        summary="A private link to the web control panel of this workspace (15 minutes)",
    ),
)
# What `/papers me` accepts: the commands that make sense for one person's digest.
PERSONAL_COMMANDS = frozenset(
    {
        "help",
        "interests add",
        "interests remove",
        "interests list",
        "interests clear",
        "interests weight",
        "follow",
        "category",
        "schedule",
        "size",
        "threshold",
        "quiet",
        "pause",
        "resume",
        "settings",
        "digest now",
        "preview",
        "boost",
        "why",
    }
)
_BY_NAME = {spec.name: spec for spec in COMMANDS}
_DAY_NAMES = {d: d for d in WEEKDAYS} | {
    "monday": "mon",
    "tuesday": "tue",
    "wednesday": "wed",
    "thursday": "thu",
    "friday": "fri",
    "saturday": "sat",
    "sunday": "sun",
}
_TIME = re.compile(r"^(?P<h>[01]?\d|2[0-3]):(?P<m>[0-5]\d)$")
_WEIGHT = re.compile(r"\s--weight[= ](?P<w>\S+)\s*$")


@dataclass(frozen=True, kw_only=True, slots=True)
class Command:
    name: str
    argument: str = ""
    weight: float | None = None
    confirmed: bool = False
    schedule: tuple[str, str | None, tuple[str, ...] | None] | None = None  # time, tz, days
    number: int | None = None
    options: dict[str, str] = field(default_factory=dict)

    @property
    def spec(self) -> CommandSpec:
        return _BY_NAME[self.name]


def usage_of(name: str) -> str:
    return f"/papers {_BY_NAME[name].usage}"


def _fail(name: str, problem: str) -> UsageError:
    return UsageError(f"{problem}. Usage: {usage_of(name)}")


def parse_command(text: str) -> Command:
    """Parse the text after `/papers`. Raises UsageError naming the right usage."""
    text = " ".join(text.replace("\u00a0", " ").split()) if "\n" not in text else text.strip()
    if len(text) > MAX_COMMAND_LENGTH:
        raise UsageError(f"that command is too long (at most {MAX_COMMAND_LENGTH} characters)")
    if text.lower().startswith("/papers"):
        text = text[len("/papers") :].strip()
    if not text:
        return Command(name="help")
    words = text.split()
    head = words[0].lower()
    two = " ".join(w.lower() for w in words[:2])
    if two in _BY_NAME:
        name, rest = two, text.split(None, 2)[2] if len(words) > 2 else ""
    elif head in _BY_NAME:
        name, rest = head, text.split(None, 1)[1] if len(words) > 1 else ""
    elif head == "interests":
        raise UsageError(
            "`interests` needs add, remove, weight, list or clear. "
            "Usage: /papers interests add <text>"
        )
    elif head == "digest":
        raise UsageError("did you mean `/papers digest now`?")
    else:
        known = ", ".join(sorted({s.name.split()[0] for s in COMMANDS}))
        raise UsageError(f"unknown command `{head}`. Commands: {known}. Try /papers help")
    return _PARSERS.get(name, _no_argument)(name, rest.strip())


def _no_argument(name: str, rest: str) -> Command:
    if rest:
        raise _fail(name, f"`{name}` takes no argument")
    return Command(name=name)


def _needs_text(name: str, rest: str) -> Command:
    if not rest:
        raise _fail(name, "missing text")
    return Command(name=name, argument=rest)


def _interests_add(name: str, rest: str) -> Command:
    weight = None
    match = _WEIGHT.search(" " + rest)
    if match:
        try:
            weight = float(match.group("w"))
        except ValueError:
            raise _fail(name, f"`{match.group('w')}` is not a number") from None
        if not 0 < weight <= 10:
            raise _fail(name, "the weight must be above 0 and at most 10")
        rest = (" " + rest)[: match.start()].strip()
    if not rest:
        raise _fail(name, "missing the interest text")
    return Command(name=name, argument=rest, weight=weight)


def _interests_remove(name: str, rest: str) -> Command:
    if not rest:
        raise _fail(name, "say which interest")
    number = int(rest) if rest.isdigit() else None
    return Command(name=name, argument=rest, number=number)


def _interests_weight(name: str, rest: str) -> Command:
    words = rest.split()
    if len(words) != 2 or not words[0].isdigit():
        raise _fail(name, "give the interest's number and its new weight")
    try:
        weight = float(words[1])
    except ValueError:
        raise _fail(name, f"`{words[1]}` is not a number") from None
    if not 0 < weight <= 10:  # (NaN fails this too)
        raise _fail(name, "the weight must be above 0 and at most 10")
    return Command(name=name, number=int(words[0]), weight=weight)


def _interests_clear(name: str, rest: str) -> Command:
    if rest and rest.lower() not in ("--yes", "yes", "confirm"):
        raise _fail(name, "`interests clear` takes no argument")
    return Command(name=name, confirmed=bool(rest))


_INSTANT = re.compile(r"(?:^|\s)--instant\s*$")


def _follow(name: str, rest: str) -> Command:
    instant = bool(_INSTANT.search(rest))
    rest = _INSTANT.sub("", rest).strip()
    options = {"instant": "yes"} if instant else {}
    author = re.fullmatch(r'author:\s*"(?P<q>[^"]+)"|author:\s*(?P<b>[^"\s].*)', rest)
    if author:
        text = (author.group("q") or author.group("b")).strip()
        return Command(name=name, argument=text, options={**options, "kind": "author"})
    category = re.fullmatch(r"(?:cat|category):\s*(?P<c>\S+)", rest)
    if category:
        if not re.fullmatch(r"[a-z-]+(\.[A-Za-z-]+)?", category.group("c")):
            raise _fail(name, f"`{category.group('c')}` is not an arXiv category such as cs.LG")
        return Command(name=name, argument=category.group("c"), options={**options, "kind": "cat"})
    phrase = re.fullmatch(r'"(?P<p>[^"]*\S[^"]*)"', rest)
    if phrase:
        text = " ".join(phrase.group("p").split())
        return Command(name=name, argument=text, options={**options, "kind": "phrase"})
    raise _fail(name, 'name the author (author:"Name"), or a category (cat:cs.LG), or a "phrase"')


def _trends(name: str, rest: str) -> Command:
    words = rest.lower().split()
    if not words:
        return Command(name=name, number=DEFAULT_TREND_WEEKS)
    if words == ["off"]:
        return Command(name=name, argument="off")
    if words[0] == "weekly":
        if len(words) != 3 or words[1] not in _DAY_NAMES or not _TIME.match(words[2]):
            raise _fail(name, "say a day and a time, e.g. `trends weekly mon 09:00`")
        hours, minutes = words[2].split(":")
        when = f"{_DAY_NAMES[words[1]]} {int(hours):02d}:{minutes}"
        return Command(name=name, argument="weekly", options={"when": when})
    if len(words) == 1 and words[0].isdigit() and 1 <= int(words[0]) <= MAX_TREND_WEEKS:
        return Command(name=name, number=int(words[0]))
    raise _fail(name, f"give a number of weeks from 1 to {MAX_TREND_WEEKS} (default 8)")


def _me(name: str, rest: str) -> Command:
    """`me <command>`: the command, for the person's own digest."""
    if not rest:
        return Command(name=name, argument="settings")
    words = rest.lower().split()
    if words[0] == "dedupe":
        if len(words) != 2 or words[1] not in ("on", "off"):
            raise _fail(name, "say `me dedupe on` or `me dedupe off`")
        return Command(name=name, argument=rest, options={"dedupe": words[1]})
    inner = parse_command(rest)
    if inner.name not in PERSONAL_COMMANDS:
        raise _fail(name, f"`{inner.name}` is for channels, not for your own digest")
    return Command(name=name, argument=rest)


def _category(name: str, rest: str) -> Command:
    if not re.fullmatch(r"[a-z-]+(\.[A-Za-z-]+)?", rest):
        raise _fail(name, f"`{rest or '(nothing)'}` is not an arXiv category such as cs.LG")
    return Command(name=name, argument=rest)


def _schedule(name: str, rest: str) -> Command:
    words = rest.split()
    if not words or not _TIME.match(words[0]):
        raise _fail(name, "start with a time such as 09:00")
    hours, minutes = words[0].split(":")
    time = f"{int(hours):02d}:{minutes}"
    timezone: str | None = None
    days: tuple[str, ...] | None = None
    index = 1
    if index < len(words) and words[index].lower() not in ("weekdays", "daily", "weekly"):
        timezone = _timezone(name, words[index])
        index += 1
    if index < len(words):
        kind = words[index].lower()
        index += 1
        if kind == "weekdays":
            days = WEEKDAYS[:5]
        elif kind == "daily":
            days = WEEKDAYS
        elif kind == "weekly":
            if index >= len(words) or words[index].lower() not in _DAY_NAMES:
                raise _fail(name, "`weekly` needs a day, e.g. weekly mon")
            days = (_DAY_NAMES[words[index].lower()],)
            index += 1
        else:
            raise _fail(name, f"`{words[index - 1]}` is not weekdays, daily or weekly <day>")
    if index < len(words):
        raise _fail(name, f"unexpected `{' '.join(words[index:])}`")
    return Command(name=name, schedule=(time, timezone, days))


def _timezone(name: str, text: str) -> str:
    if text.upper() == "UTC":
        return "UTC"
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        close = sorted(z for z in available_timezones() if text.lower() in z.lower())[:3]
        hint = f" (did you mean {', '.join(close)}?)" if close else " (e.g. Europe/Berlin)"
        raise _fail(name, f"unknown time zone `{text}`{hint}") from None
    return text


def _threads(name: str, rest: str) -> Command:
    if rest.lower() not in ("on", "off"):
        raise _fail(name, "say on or off")
    return Command(name=name, argument=rest.lower())


LAYOUTS = ("grouped", "single")


def _layout(name: str, rest: str) -> Command:
    if rest.lower() not in LAYOUTS:
        raise _fail(name, "say grouped (several papers per message) or single (one per message)")
    return Command(name=name, argument=rest.lower())


BOOSTS = ("upvotes", "recency", "code")


def _boost(name: str, rest: str) -> Command:
    words = rest.lower().split()
    if len(words) != 2 or words[0] not in BOOSTS or words[1] not in ("on", "off"):
        raise _fail(name, f"name a boost ({', '.join(BOOSTS)}) and say on or off")
    return Command(name=name, argument=words[0], options={"state": words[1]})


def _size(name: str, rest: str) -> Command:
    if not rest.isdigit() or not 1 <= int(rest) <= 25:
        raise _fail(name, "give a number from 1 to 25")
    return Command(name=name, number=int(rest))


def _threshold(name: str, rest: str) -> Command:
    try:
        value = float(rest.rstrip("%")) / (100 if rest.endswith("%") else 1)
    except ValueError:
        raise _fail(name, "give a number from 0 to 1, e.g. 0.3") from None
    if not 0 <= value <= 1:  # (NaN fails this too)
        raise _fail(name, "give a number from 0 to 1, e.g. 0.3")
    return Command(name=name, argument=f"{value:g}", options={"value": repr(value)})


QUIET_MODES = ("say", "silent")


def _quiet(name: str, rest: str) -> Command:
    if rest.lower() not in QUIET_MODES:
        raise _fail(name, "say `say` (post a short note) or `silent` (post nothing)")
    return Command(name=name, argument=rest.lower())


_PARSERS = {
    "interests add": _interests_add,
    "interests remove": _interests_remove,
    "interests clear": _interests_clear,
    "interests weight": _interests_weight,
    "follow": _follow,
    "trends": _trends,
    "me": _me,
    "category": _category,
    "schedule": _schedule,
    "size": _size,
    "threshold": _threshold,
    "quiet": _quiet,
    "threads": _threads,
    "layout": _layout,
    "boost": _boost,
    "search": _needs_text,
    "summary": _needs_text,
    "why": _needs_text,
}
