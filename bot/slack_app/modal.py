"""The `/papers settings` modal (pure): build the view, and read a submission back.

A submission is validated field by field; problems go back to Slack as per-field errors
(``response_action: errors``) and nothing is saved.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from digest.models import WEEKDAYS, Channel, Schedule, Workspace

__all__ = ["CALLBACK_ID", "SettingsChange", "build_settings_view", "read_submission"]

CALLBACK_ID = "paperboy_settings"
_DAY_LABELS = dict(
    zip(
        WEEKDAYS,
        ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        strict=True,
    )
)


def _option(value: str, label: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": label}, "value": value}


def build_settings_view(
    channel: Channel, workspace: Workspace, *, is_admin: bool
) -> dict[str, Any]:
    schedule = channel.schedule
    flags = [
        ("paused", "Pause digests in this channel"),
        ("quiet", "On quiet days, say so instead of posting nothing"),
        ("thread", "Post each digest in a new thread"),
        ("single", "One message per paper (a 👍/👎 reaction votes on it)"),
        ("boost_upvotes", "Rank papers with many HF upvotes higher"),
        ("boost_recency", "Rank the newest papers higher"),
        ("boost_code", "Rank papers with code higher"),
    ]
    current = {
        "paused": channel.paused,
        "quiet": channel.quiet_day_message,
        "thread": channel.delivery_mode == "thread",
        "single": channel.layout == "single",
        "boost_upvotes": channel.boost_upvotes,
        "boost_recency": channel.boost_recency,
        "boost_code": channel.boost_code,
    }
    initial_flags = [_option(v, t) for v, t in flags if current[v]]
    blocks: list[dict[str, Any]] = [
        {
            "type": "input",
            "block_id": "time",
            "label": {"type": "plain_text", "text": "Time"},
            "element": {"type": "timepicker", "action_id": "value", "initial_time": schedule.time},
        },
        {
            "type": "input",
            "block_id": "timezone",
            "label": {"type": "plain_text", "text": "Time zone (e.g. Europe/Berlin)"},
            "element": {
                "type": "plain_text_input",
                "action_id": "value",
                "initial_value": schedule.timezone,
                "max_length": 64,
            },
        },
        {
            "type": "input",
            "block_id": "days",
            "label": {"type": "plain_text", "text": "Days"},
            "element": {
                "type": "checkboxes",
                "action_id": "value",
                "options": [_option(d, _DAY_LABELS[d]) for d in WEEKDAYS],
                "initial_options": [_option(d, _DAY_LABELS[d]) for d in schedule.days],
            },
        },
        {
            "type": "input",
            "block_id": "size",
            "label": {"type": "plain_text", "text": "Papers per digest (1-25)"},
            "element": {
                "type": "number_input",
                "action_id": "value",
                "is_decimal_allowed": False,
                "min_value": "1",
                "max_value": "25",
                "initial_value": str(channel.digest_size),
            },
        },
        {
            "type": "input",
            "block_id": "min_score",
            "label": {"type": "plain_text", "text": "Minimum relevance (0-1; higher = stricter)"},
            "element": {
                "type": "number_input",
                "action_id": "value",
                "is_decimal_allowed": True,
                "min_value": "0",
                "max_value": "1",
                "initial_value": f"{channel.min_score:g}",
            },
        },
        {
            "type": "input",
            "block_id": "flags",
            "optional": True,
            "label": {"type": "plain_text", "text": "Options"},
            "element": {
                "type": "checkboxes",
                "action_id": "value",
                "options": [_option(v, t) for v, t in flags],
                **({"initial_options": initial_flags} if initial_flags else {}),
            },
        },
    ]
    if is_admin:
        restrict = _option("restrict", "Only workspace admins may change paperboy's settings")
        blocks.append(
            {
                "type": "input",
                "block_id": "restrict",
                "optional": True,
                "label": {"type": "plain_text", "text": "Workspace"},
                "element": {
                    "type": "checkboxes",
                    "action_id": "value",
                    "options": [restrict],
                    **({"initial_options": [restrict]} if workspace.restrict_settings else {}),
                },
            }
        )
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "private_metadata": json.dumps({"channel": channel.id}),
        "title": {"type": "plain_text", "text": "paperboy settings"},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks,
    }


@dataclass(frozen=True, kw_only=True, slots=True)
class SettingsChange:
    channel: Channel
    restrict_settings: bool | None  # None: not shown to this user, leave unchanged


def _value(state: dict[str, Any], block: str) -> Any:
    return state.get(block, {}).get("value", {})


def read_submission(
    view: dict[str, Any], channel: Channel
) -> tuple[SettingsChange | None, dict[str, str]]:
    """The validated change, or per-field errors (block_id -> message)."""
    state = view.get("state", {}).get("values", {})
    errors: dict[str, str] = {}
    time = _value(state, "time").get("selected_time") or ""
    if len(time) != 5 or time[2] != ":":
        errors["time"] = "Pick a time."
    timezone = (_value(state, "timezone").get("value") or "").strip()
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        errors["timezone"] = f"Unknown time zone “{timezone}”; use a name such as Europe/Berlin."
    days = tuple(
        d
        for d in WEEKDAYS
        if d in {o["value"] for o in _value(state, "days").get("selected_options") or []}
    )
    if not days:
        errors["days"] = "Pick at least one day."
    size = _number(_value(state, "size").get("value"))
    if size is None or not size.is_integer() or not 1 <= size <= 25:
        errors["size"] = "A whole number from 1 to 25."
    min_score = _number(_value(state, "min_score").get("value"))
    if min_score is None or not 0 <= min_score <= 1:
        errors["min_score"] = "A number from 0 to 1."
    if errors:
        return None, errors
    flags = {o["value"] for o in _value(state, "flags").get("selected_options") or []}
    restrict = None
    if "restrict" in state:
        restrict = bool(_value(state, "restrict").get("selected_options"))
    assert size is not None and min_score is not None
    changed = dataclasses.replace(
        channel,
        schedule=Schedule(time=time, timezone=timezone, days=days),
        digest_size=int(size),
        min_score=min_score,
        paused="paused" in flags,
        paused_reason=(channel.paused_reason or "paused in settings")
        if "paused" in flags
        else None,
        quiet_day_message="quiet" in flags,
        delivery_mode="thread" if "thread" in flags else "channel",
        layout="single" if "single" in flags else "grouped",
        boost_upvotes="boost_upvotes" in flags,
        boost_recency="boost_recency" in flags,
        boost_code="boost_code" in flags,
    )
    return SettingsChange(channel=changed, restrict_settings=restrict), {}


def _number(text: object) -> float | None:
    try:
        return float(str(text))
    except (TypeError, ValueError):
        return None
