"""Archived turns as recall shows them: one readable line each, with its speaker.

A turn line starts with who said it; a tool call reads ``Assistant called
get_weather(city="Lisbon")`` and its result ``Tool get_weather: 18°C, sunny``, cut at
:data:`TOOL_RESULT_CHARS` (the archive keeps the whole message; the line says what happened).
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from langchain_core.documents import Document

from langmem_plugin.history._codec import decode_message
from langmem_plugin.retriever._scope import NAMED, ROLES

__all__ = ["TOOL_ARG_CHARS", "TOOL_RESULT_CHARS", "Turn", "named", "norm", "turn_of"]

_SPACE = re.compile(r"\s+")


def norm(text: str) -> str:
    """Whitespace collapsed, lower case: how two texts are compared for repeats."""
    return _SPACE.sub(" ", text).strip().lower()


def _speaker(value: dict[str, Any]) -> str:
    speaker = str(value.get("speaker") or value.get("role") or "").strip()
    return speaker.capitalize() if speaker.lower() in ROLES else speaker


@dataclass
class Turn:
    """A retrieved archived turn."""

    key: str
    session: tuple[tuple[str, ...], str]
    seq: float
    occurred_at: Any
    line: str
    text: str


#: How many characters of a tool result a recalled line keeps (a tool's output can be a page
#: of JSON; the line says what the tool answered, the archive keeps the whole of it).
TOOL_RESULT_CHARS = 120
#: How many characters of each tool-call argument value a recalled line keeps.
TOOL_ARG_CHARS = 40


def _clip(text: str, limit: int) -> str:
    text = _SPACE.sub(" ", text).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _calls_of(meta: dict[str, Any]) -> str:
    """``get_weather(city="Lisbon")`` for each tool call of an archived AI message ('' if none)."""
    encoded = meta.get("message")
    if not isinstance(encoded, str) or '"tool_calls"' not in encoded:
        return ""
    try:
        message = decode_message(encoded)
    except (ValueError, TypeError, KeyError):
        return ""
    calls = getattr(message, "tool_calls", None) or []
    return ", ".join(
        f"{call['name']}("
        + ", ".join(
            f"{name}={_clip(json.dumps(value, ensure_ascii=False), TOOL_ARG_CHARS)}"
            for name, value in dict(call.get("args") or {}).items()
        )
        + ")"
        for call in calls
    )


def named(content: str) -> str | None:
    match = NAMED.match(content)
    return match.group(1) if match else None


def turn_of(doc: Document, names: Collection[str] = ()) -> Turn:
    """A retrieved turn with its line: always a speaker, tool calls as short readable lines.

    Args:
        doc: The retrieved archived message.
        names: Prefixes ("Caroline") that head at least two of the retrieved turns: a
            message starting with one of them names its speaker (an app that prefixes
            names), so the line keeps that name alone. A word heading a single line
            ("Noted: ...") is no speaker's name, and the line gets its own speaker.
    """
    meta = doc.metadata
    content = doc.page_content.strip()
    speaker = _speaker(meta) or "Someone"
    role = str(meta.get("role", "")).lower()
    if role == "tool":
        tool = str(meta.get("speaker") or "") if meta.get("speaker") != "tool" else ""
        who = f"Tool {tool}" if tool else "Tool"
        line = f"{who}: {_clip(content, TOOL_RESULT_CHARS)}"
    elif calls := _calls_of(meta):
        said = str(decode_message(meta["message"]).text).strip()
        line = f"{speaker}: {said} (called {calls})" if said else f"{speaker} called {calls}"
    elif content.startswith(f"{speaker}:") or (
        str(meta.get("speaker", meta.get("role", ""))).lower() in ROLES and named(content) in names
    ):
        # A message that names its speaker (an app that prefixes names) keeps that name alone.
        line = content
    else:
        line = f"{speaker}: {content}"
    seq = meta.get("seq")
    return Turn(
        key=str(meta["key"]),
        session=(tuple(meta["namespace"]), str(meta.get("session_id", meta["namespace"][-1]))),
        seq=float(seq) if isinstance(seq, int | float) and not isinstance(seq, bool) else 0.0,
        occurred_at=meta.get("occurred_at"),
        line=_SPACE.sub(" ", line),
        text=norm(content),
    )
