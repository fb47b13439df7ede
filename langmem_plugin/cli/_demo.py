"""The memory demo: three sessions of one user with a ``create_memory_agent`` agent.

``run_memory_demo()`` plays a scripted conversation against one memory directory, closing
and reopening the memory between sessions (as a restart would), and prints what the agent
remembered at each step of a new session:

1. Session 1 (thread ``monday``): Ada states her name, city, role and likes, then asks for a
   currency conversion; the demo tool ``convert_currency`` fails on "euros" (it wants ISO
   codes), so memory writes a lesson.
2. Session 2 (thread ``friday``): her profile and the session-1 episode are recalled; for a
   similar conversion the model receives the lesson and gets the call right the first time;
   she corrects a fact ("Actually, I moved to Berlin").
3. Session 3 (thread ``sunday``): the corrected profile (Lisbon kept in the history as
   superseded) and episodes of both earlier sessions are recalled; asked about her boat,
   a detail she mentioned once in passing in session 1 that no summary or fact kept, the
   agent gets the archived session-1 turn itself, with its date and speaker.

Offline by default: the agent's model is a ``ScriptedChatModel`` whose replies follow the
recall it receives, and memory uses its offline rules. With ``OPENAI_API_KEY`` set (and no
explicit model), the agent and memory use ``memory.DEFAULT_MODEL``, for the same user lines.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain.agents.middleware import AgentMiddleware, ModelRequest, ModelResponse
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool

from langmem_plugin.memory import DEFAULT_MODEL
from langmem_plugin.nodes.recall import _SECTIONS, TURNS_TITLE

__all__ = [
    "DEMO_SESSIONS",
    "DemoTurn",
    "build_model",
    "choose_model",
    "run_memory_demo",
    "scripted_reply",
    "turn_lines",
]

USER_ID = "ada"

DEMO_SESSIONS: list[tuple[str, list[str]]] = [
    (
        "monday",
        [
            "Hi, I'm Ada. I live in Lisbon and I work as a data scientist.",
            "I love sailing and I mostly use Python and Neovim.",
            "I'm planning a sailing trip to the Azores in July.",
            "My sloop is called Maresia, by the way.",
            "How much is 1200 euros in US dollars?",
        ],
    ),
    (
        "friday",
        [
            "Hi again! What should I pack for my sailing trip to the Azores?",
            "How much is 300 euros in British pounds?",
            "Actually, I moved to Berlin last month.",
        ],
    ),
    (
        "sunday",
        [
            "Hi, it's Ada. Where do I live now, and what did we plan for my Azores trip?",
            "Remind me, what is my sloop called?",
        ],
    ),
]
"""``(thread_id, user lines)`` of each session."""

_RATES = {"EUR": 1.0, "USD": 1.08, "GBP": 0.85}
_CURRENCY_NAMES = {"euros": "EUR", "us dollars": "USD", "british pounds": "GBP"}
_CONVERSION = re.compile(r"how much is (\d+) (euros) in (us dollars|british pounds)", re.I)


@tool
def convert_currency(amount: float, from_currency: str, to_currency: str) -> str:
    """Convert an amount of money between two currencies (fixed demo rates)."""
    for code in (from_currency, to_currency):
        if code not in _RATES:
            raise ValueError(f"unknown currency {code!r}: use ISO 4217 codes like EUR, USD, GBP")
    result = amount / _RATES[from_currency] * _RATES[to_currency]
    return f"{amount:.2f} {from_currency} = {result:.2f} {to_currency}"


@dataclass
class DemoTurn:
    """One user turn of the demo.

    Attributes:
        thread_id: The session's thread.
        user: The user's line.
        recall: The system message the agent's model received first in this turn.
        messages: The messages the turn added after the user's (tool calls, replies).
    """

    thread_id: str
    user: str
    recall: str
    messages: list[BaseMessage] = field(default_factory=list)


class _Witness(AgentMiddleware):
    """Records the system message (recall included) of every model call."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    def wrap_model_call(
        self,
        request: ModelRequest[Any],
        handler: Callable[[ModelRequest[Any]], ModelResponse[Any]],
    ) -> Any:
        """Note the system message, then call the model."""
        self.seen.append(request.system_message.text if request.system_message else "")
        return handler(request)


def choose_model(model: BaseChatModel | str | None = None) -> BaseChatModel | str | None:
    """Choose the agent's model; nothing is built or called here.

    Args:
        model: An explicit model (a chat model or ``"provider:model"``); it always wins.

    Returns:
        ``model`` if given, else ``DEFAULT_MODEL`` when ``OPENAI_API_KEY`` is set, else
        ``None`` (the offline scripted model).
    """
    if model is not None:
        return model
    return DEFAULT_MODEL if os.environ.get("OPENAI_API_KEY") else None


def _system_text(messages: Sequence[BaseMessage]) -> str:
    return "\n".join(m.text for m in messages if m.type == "system")


def _call(args: dict[str, Any]) -> AIMessage:
    return AIMessage(
        "", tool_calls=[{"name": "convert_currency", "args": args, "id": uuid.uuid4().hex[:8]}]
    )


def scripted_reply(messages: Sequence[BaseMessage]) -> AIMessage:  # noqa: PLR0911 -- a script
    """The offline agent: canned replies that follow what recall put in the system message.

    It passes currency *names* to ``convert_currency`` unless a recalled lesson about that
    tool is in its system message, and retries with ISO codes after an error.
    """
    last = messages[-1]
    if isinstance(last, ToolMessage):
        if last.status == "error":
            retry = next(m for m in reversed(messages) if isinstance(m, AIMessage))
            args = dict(retry.tool_calls[0]["args"])
            for key in ("from_currency", "to_currency"):
                args[key] = _CURRENCY_NAMES.get(str(args[key]).lower(), args[key])
            return _call(args)
        return AIMessage(f"{last.text} (at today's demo rates).")
    text = last.text if isinstance(last, HumanMessage) else ""
    system = _system_text(messages)
    if match := _CONVERSION.search(text):
        amount, source, target = match.groups()
        lesson = "Lessons from earlier tasks:" in system and "convert_currency" in system
        if lesson:  # follow the lesson: ISO codes from the start
            source, target = _CURRENCY_NAMES[source.lower()], _CURRENCY_NAMES[target.lower()]
        return _call({"amount": float(amount), "from_currency": source, "to_currency": target})
    if "my sloop called" in text:
        boat = re.search(r"sloop is called (\w+)", system)
        if boat is None:
            return AIMessage("I'm sorry, I don't remember you telling me about a boat.")
        return AIMessage(f"Your sloop is called {boat.group(1)}.")
    if "Where do I live" in text:
        where = re.search(r"- location: ([^(]+?) \(", system)
        place = where.group(1) if where else "somewhere you haven't told me about"
        return AIMessage(
            f"You live in {place}. For the Azores trip in July we converted your budget "
            "and went through what to pack."
        )
    replies = {
        "Hi, I'm Ada": "Nice to meet you, Ada! Lisbon is a lovely place for a data scientist.",
        "I love sailing": "Sailing and Python: a fine combination.",
        "I'm planning": "The Azores in July sound wonderful. How can I help you plan?",
        "My sloop": "A lovely name for a sloop.",
        "Hi again": "Welcome back, Ada! For sailing in the Azores: layers, a windbreaker, "
        "sunscreen and seasickness tablets.",
        "Actually": "Noted: you live in Berlin now.",
    }
    reply = next((r for start, r in replies.items() if text.startswith(start)), "Got it.")
    return AIMessage(reply)


_SECTION_TITLES = {title for title, _ in _SECTIONS.values()}


def _sections(recall: str) -> dict[str, list[str]]:
    """The recall text's sections: title -> its ``- ...`` lines."""
    sections: dict[str, list[str]] = {}
    title = ""
    for line in recall.splitlines():
        if line.startswith("- ") and title:
            sections[title].append(line)
        elif line.endswith(":"):
            title = line
            sections[title] = []
    return sections


def turn_lines(recall: str) -> list[str]:
    """The recalled conversation turns of a recall text (date headers and turn lines)."""
    lines = recall.splitlines()
    if TURNS_TITLE not in lines:
        return []
    kept: list[str] = []
    for line in lines[lines.index(TURNS_TITLE) + 1 :]:
        if line in _SECTION_TITLES:
            break
        kept.append(line)
    return kept


def _print_recall(recall: str, out: Callable[[str], Any]) -> None:
    sections = _sections(recall)
    turns = turn_lines(recall)
    if turns:
        out("  [recalled] Earlier conversation turns:\n" + "\n".join(f"    {t}" for t in turns))
    for title in ("Relevant earlier conversations:", "Lessons from earlier tasks:"):
        lines = sections.get(title) or ["(none recalled)"]
        out(f"  [recalled] {title}\n" + "\n".join(f"    {line}" for line in lines))


def _print_messages(messages: Sequence[BaseMessage], out: Callable[[str], Any]) -> None:
    for message in messages:
        if isinstance(message, AIMessage):
            for call in message.tool_calls:
                out(f"  [tool call] {call['name']}({json.dumps(call['args'])})")
            if message.text:
                out(f"assistant: {message.text}")
        elif isinstance(message, ToolMessage):
            label = "tool error" if message.status == "error" else "tool result"
            out(f"  [{label}] {message.text}")


def build_model(choice: BaseChatModel | str | None) -> BaseChatModel:
    """The chat model for a ``choose_model`` result (built, not called).

    ``None`` gives the offline ``ScriptedChatModel`` playing ``scripted_reply``; a string is
    built with ``init_chat_model``.
    """
    from langchain.chat_models import init_chat_model

    from langmem_plugin.testing import ScriptedChatModel

    if choice is None:
        return ScriptedChatModel(script=[], default=scripted_reply)
    if isinstance(choice, str):
        return init_chat_model(choice)
    return choice


def _make_agent(model: BaseChatModel, memory: Any, witness: _Witness) -> Any:
    from langmem_plugin.agent import create_memory_agent

    return create_memory_agent(
        model,
        [convert_currency],
        memory=memory,
        system_prompt="You are a helpful travel assistant.",
        middleware=[witness],
    )


def _run_session(
    memory: Any,
    model: BaseChatModel,
    thread_id: str,
    lines: list[str],
    out: Callable[[str], Any],
    *,
    show_recall: bool,
) -> list[DemoTurn]:
    witness = _Witness()
    agent = _make_agent(model, memory, witness)
    config = {"configurable": {"thread_id": thread_id, "user_id": USER_ID}}
    turns: list[DemoTurn] = []
    for text in lines:
        out(f"\nuser: {text}")
        first_call = len(witness.seen)
        sent = HumanMessage(text, id=uuid.uuid4().hex)
        state = agent.invoke({"messages": [sent]}, config)
        ids = [m.id for m in state["messages"]]
        new = state["messages"][ids.index(sent.id) + 1 :] if sent.id in ids else []
        recall = witness.seen[first_call] if len(witness.seen) > first_call else ""
        if show_recall:
            _print_recall(recall, out)
        _print_messages(new, out)
        turns.append(DemoTurn(thread_id, text, recall, list(new)))
    memory.end_session(thread_id)
    memory.flush()
    return turns


def _print_profile(memory: Any, out: Callable[[str], Any], title: str) -> None:
    out(f"\n-- {title} --\n{memory.profile(USER_ID)}")


def _print_location_history(memory: Any, out: Callable[[str], Any]) -> None:
    out("\n-- Location history (a correction supersedes; the old value is kept) --")
    for fact in memory.profile_history(USER_ID):
        if fact.category == "location":
            until = f"until {fact.valid_to[:10]} (superseded)" if fact.valid_to else "(current)"
            out(f"- {fact.value}: since {fact.valid_from[:10]} {until}")


def _print_lessons(memory: Any, out: Callable[[str], Any]) -> None:
    out("\n-- Lessons stored (weight grows each time a recalled lesson helped) --")
    for lesson in memory.lessons(USER_ID) or []:
        out(
            f"- {lesson.tool or 'task'}: {lesson.what_to_do_instead} "
            f"(weight {lesson.weight:.1f}, helped {lesson.helped}x)"
        )


def _print_what_kept_the_boat(memory: Any, out: Callable[[str], Any]) -> None:
    episodes = memory.store.search(("episodes", USER_ID), limit=100)
    facts = str(memory.profile(USER_ID))
    # the episodes recall could draw on when the question came (session 3 records its answer)
    earlier = {thread for thread, _ in DEMO_SESSIONS[:-1]}
    kept = [
        e
        for e in episodes
        if e.value.get("thread_id") in earlier and "Maresia" in str(e.value.get("content", ""))
    ]
    out(
        "\n-- The boat's name (said once in passing in session 1) --\n"
        f"- in an episode summary: {'yes' if kept else 'no'} (sessions 1-2); "
        f"in the profile: {'yes' if 'Maresia' in facts else 'no'}; "
        "in the archive of session 1: yes, and recall brought that turn back in session 3"
    )


def run_memory_demo(
    path: str | Path | None = None,
    out: Callable[[str], Any] = print,
    *,
    model: BaseChatModel | str | None = None,
) -> list[DemoTurn]:
    """Run the three-session demo and print what the agent remembered.

    Args:
        path: The memory directory (a temporary one by default).
        out: Where to print.
        model: The agent's model (see ``choose_model``; by default scripted offline, or
            ``DEFAULT_MODEL`` when ``OPENAI_API_KEY`` is set).

    Returns:
        Every user turn with the recall the model received.
    """
    from langmem_plugin.memory import Memory

    chosen = choose_model(model)
    chat = build_model(chosen)
    turns: list[DemoTurn] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(path) if path is not None else Path(tmp) / "memory"
        agent_name = chosen if isinstance(chosen, str) else type(chosen).__name__
        out("langmem demo: three sessions of one user; memory is reopened between sessions.")
        out(f"agent model: {agent_name if chosen is not None else 'scripted (offline)'}")
        if path is None:
            out(
                f"memory directory: {root} (temporary, deleted when the demo ends; "
                "`langmem demo --path ./.memory` keeps it, for `langmem ui` or `langmem stats`)"
            )
        else:
            out(f"memory directory: {root}")
        for number, (thread_id, lines) in enumerate(DEMO_SESSIONS, start=1):
            with Memory.from_path(root) as memory:
                if number == 1:
                    llm = memory.llm
                    out(f"memory model: {type(llm).__name__ if llm else 'offline rules'}")
                out(f"\n==== Session {number} (new thread {thread_id!r}) ====")
                if number > 1:
                    out("(memory closed and reopened, as after a restart)")
                    title = "Profile remembered" + (" (after the correction)" if number > 2 else "")
                    _print_profile(memory, out, title)
                if number == 3:
                    _print_location_history(memory, out)
                turns += _run_session(memory, chat, thread_id, lines, out, show_recall=number > 1)
                if number == 1:
                    out("\n(session ended: memory wrote the episode, the profile and a lesson)")
                if number == len(DEMO_SESSIONS):
                    _print_lessons(memory, out)
                    _print_what_kept_the_boat(memory, out)
        if path is None:
            out(f"\n(the temporary memory directory {root} is deleted now)")
    return turns
