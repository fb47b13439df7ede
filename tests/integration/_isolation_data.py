"""Users whose ids collide with everything a namespace holds, and the oracle of what is whose.

``USERS`` are ids that are prefixes of one another (``1``, ``11``), equal to the library's
namespace kinds (``memories``, ``archive``, ``profile``...), equal to the agent id
(``AGENT``), ids that need encoding into a label (``ENCODED``: emails, ``.``, ``/``, ``%``,
``?``, ``#``, unicode, and pairs a naive encoding would merge: ``a.b`` and ``a%2Eb``, ``a``
and ``a.``), and generated ones (``generated_ids``). ``seed(memory)`` gives each user, with a
token of its own (``TOKENS``) in every text:

* a conversation through ``Memory.ingest`` whose session id is *another user's id*;
* a graph thread with checkpoints (``user_id`` in its config) whose thread id is that same
  other user's id;
* a note, a task and a lesson of its own, and a lesson for the shared agent ``AGENT``;
* a recall, whose counts are flushed to ``("usage", user)``;
* a note saved as a persona named like the other user (``("persona", user, other,
  "memories")``), and a lesson of ``AGENT`` as a persona named like the user
  (``("agent_persona", AGENT, user, "agent_lessons")``: the agent's, not the user's);
* application namespaces that hold another user's id at a non-user position:
  ``("projects", user, other)`` and, where ``other`` is no library kind, ``(other, user)``.

The oracle (``owned``) is the rule of DESIGN.md written out independently of the code under
test: a namespace is the user's when its second label is the user id's label
(``_ids.id_label``, checked on its own in ``tests/unit/test_ids.py``), unless it is an
agent's (``("agent_lessons", agent)``, ``("agent_persona", agent, ...)``); a session
claim is the user's when its value says so.
"""

from __future__ import annotations

import random
import string
from typing import Any

from langchain_core.messages import AIMessage, HumanMessage
from langgraph.graph import START, MessagesState, StateGraph

from langmem_plugin._ids import id_label

AGENT = "travel-bot"
"""The agent every user's run talks to; also a user id of its own."""

LIBRARY_KINDS = frozenset(
    {
        "profile",
        "profile_history",
        "episodes",
        "episodes_archive",
        "memories",
        "tasks",
        "lessons",
        "agent_lessons",
        "archive",
        "sessions",
        "session_owners",
        "usage",
    }
)


ENCODED = [
    "a.b",
    "a%2Eb",
    "a",
    "a.",
    "maria@example.com",
    "acme.eu/42",
    "x/y?z#w%",
    "*",
    "zoë.ñ 名",
]
"""Ids whose label differs from them, or that a naive encoding would give one label."""


def generated_ids(count: int, seed: int = 19) -> list[str]:
    """``count`` ids drawn from letters, digits and ``-_@:+ ü./%``."""
    rng = random.Random(seed)
    alphabet = string.ascii_lowercase + string.digits + "-_@:+ü./%"
    found: list[str] = []
    while len(found) < count:
        candidate = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 6)))
        if candidate.strip() and candidate not in found and candidate not in ENCODED:
            found.append(candidate)
    return found


USERS = [
    "1",
    "11",
    "memories",
    "archive",
    "profile",
    "sessions",
    "session_owners",
    "lessons",
    "tasks",
    "agent_lessons",
    AGENT,
    *ENCODED,
    *generated_ids(3),
]
TOKENS = {user: f"zq{chr(ord('a') + i)}{chr(ord('a') + i)}tok" for i, user in enumerate(USERS)}
"""A word per user that nothing else writes (none is a substring of another)."""


def partner(user: str) -> str:
    """The other user whose id is ``user``'s session and thread id."""
    return USERS[(USERS.index(user) + 1) % len(USERS)]


def seed(memory: Any) -> None:
    """Write every user's data (see the module docstring)."""
    echo = StateGraph(MessagesState)
    echo.add_node("echo", lambda state: {"messages": [AIMessage("echo")]})
    echo.add_edge(START, "echo")
    graph = memory.compile(echo)
    for user in USERS:
        token, other = TOKENS[user], partner(user)
        memory.ingest(
            [
                HumanMessage(f"My cat is called {token} and I live in Lisbon."),
                AIMessage(f"{token} is a fine name."),
            ],
            user_id=user,
            thread_id=other,
        )
        graph.invoke(
            {"messages": [HumanMessage(f"graph turn {token}")]},
            {"configurable": {"thread_id": other, "user_id": user}},
        )
        store, label, other_label = memory.store, id_label(user), id_label(other)
        store.put(("memories", label), "note", {"content": f"note {token}"})
        store.put(("projects", label, other_label), "plan", {"content": f"project {token}"})
        if other not in LIBRARY_KINDS:
            store.put((other_label, label), "odd", {"content": f"odd kind {token}"})
        memory.tasks.add(user, f"call the vet about {token}")
        memory.reflect_on(f"book a {token} trip", f"Error: {token} sold out", user_id=user)
        memory.reflect_on(
            f"convert {user} currency", "Error: use ISO codes", user_id=user, agent_id=AGENT
        )
        memory.recall_context(user, f"note {token}")  # recall counts: ("usage", user)
        save_as_persona = memory.tools(user_id=user, persona_id=other)[1]
        save_as_persona.invoke({"content": f"persona note {token}"})
        memory.reflect_on(
            f"greet {user} formally",
            "Error: too casual",
            user_id=user,
            agent_id=AGENT,
            persona_id=user,
        )
    memory.flush()


def owned(namespace: tuple[str, ...], key: str, value: dict[str, Any], user: str) -> bool:
    """Whether an item is ``user``'s by the rule (the oracle; see the module docstring)."""
    if namespace == ("session_owners",):
        return value.get("user_id") == user
    label = id_label(user)
    agents = ("agent_lessons", "agent_persona")
    return len(namespace) > 1 and namespace[1] == label and namespace[0] not in agents


def records(memory: Any) -> dict[tuple[tuple[str, ...], str], Any]:
    """Every stored record (value, times, TTL, indexed) by (namespace, key)."""
    return {(r.namespace, r.key): r for r in memory.store.dump()}
