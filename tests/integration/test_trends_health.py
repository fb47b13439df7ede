"""Trends and health end to end: real graphs on Chroma and SQLite, a scripted model or none.

* Six sessions through a graph (recall, the agent's model, extract_profile), with the
  memory's scripted model answering the pipeline's one call per session: the topics and
  the favourite drink it extracted become a rising topic and a preference change, which a
  later message about them gets in its recall, with no model call beyond one per session.
* The same offline (no model: topics are the sessions' frequent words, facts by rules).
* Health: recalls, model calls and tokens per day survive the process that made them
  (a subprocess recalls, the test reads the figures after it exits).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from langchain_core.messages import AIMessage, HumanMessage
from langgraph.graph import END, START, MessagesState, StateGraph

from langmem_plugin import Memory
from langmem_plugin.nodes.trends import Trends
from langmem_plugin.testing import ScriptedChatModel

TOPICS = [
    ["hiking", "weather"],
    ["hiking", "boots"],
    ["hiking", "club"],
    ["painting", "classes"],
    ["painting", "watercolours"],
    ["painting", "harbour"],
]


def graph_of(memory: Memory) -> Any:
    agent = ScriptedChatModel(script=[], default="Noted.")

    def call_model(state: MessagesState) -> dict[str, Any]:
        return {"messages": [agent.invoke(state["messages"])]}

    builder = StateGraph(MessagesState)
    builder.add_node(memory.nodes.recall)
    builder.add_node("model", call_model)
    builder.add_node(memory.nodes.extract_profile)
    builder.add_edge(START, "recall")
    builder.add_edge("recall", "model")
    builder.add_edge("model", "extract_profile")
    builder.add_edge("extract_profile", END)
    return memory.compile(builder)


def config(thread: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": thread, "user_id": "ada"}}


def extraction(n: int) -> AIMessage:
    facts = []
    if n == 0:
        facts = [{"category": "favorite_drink", "value": "coffee"}]
    if n == 4:
        facts = [{"action": "update", "category": "favorite_drink", "value": "green tea"}]
    args = {
        "episode": {
            "summary": f"Session {n}: Ada talked about {TOPICS[n][0]}.",
            "topics": TOPICS[n],
        },
        "profile": {"facts": facts},
    }
    return AIMessage(
        "",
        tool_calls=[{"name": "SessionExtraction", "args": args, "id": f"call-{n}"}],
        usage_metadata={"input_tokens": 900, "output_tokens": 100, "total_tokens": 1000},
    )


def recalled(memory: Memory, thread: str, text: str) -> str:
    out = graph_of(memory).invoke({"messages": [HumanMessage(text)]}, config(thread))
    found = [m.text for m in out["messages"] if (m.id or "").startswith("langmem-recall-")]
    return found[-1] if found else ""


def test_trends_through_a_graph_with_a_scripted_model_within_one_call_per_session(
    tmp_path: Path,
) -> None:
    # the later threads' sessions, run when the memory closes, get the last answer again
    model = ScriptedChatModel(
        script=[extraction(n) for n in range(len(TOPICS))], default=extraction(len(TOPICS) - 1)
    )
    with Memory.from_path(tmp_path / "mem", llm=model) as memory:
        graph = graph_of(memory)
        for n, topics in enumerate(TOPICS):
            graph.invoke(
                {"messages": [HumanMessage(f"Today was all about {topics[0]} and {topics[1]}.")]},
                config(f"s{n}"),
            )
            memory.end_session(f"s{n}")
            memory.flush()
        trends = memory.trends("ada")
        assert [(t.topic, t.recent, t.earlier) for t in trends.rising] == [("painting", 3, 0)]
        assert [(t.topic, t.earlier, t.recent) for t in trends.fading] == [("hiking", 3, 0)]
        assert [(c.kind, c.before, c.now) for c in trends.preferences] == [
            ("changed", "coffee", "green tea")
        ]
        text = recalled(memory, "later", "I'd like to try painting the harbour at dusk")
        assert "Topic trends (from session topics): rising: painting (3 of the last 3" in text
        text = recalled(memory, "later-2", "Can you recommend a drink for me?")
        assert "favorite_drink: green tea since" in text
        assert "(was coffee)" in text
        assert "Preference changes" not in recalled(memory, "later-3", "Is it going to rain?")
        assert dict(memory.llm_calls.by_purpose) == {"session": len(TOPICS)}  # no extra call
        health = memory.health(days=1).days[-1]
        assert (health.llm_calls, health.llm_tokens) == (len(TOPICS), 1000 * len(TOPICS))
        assert health.recalls == len(TOPICS) + 3


def test_trends_offline_through_a_graph(tmp_path: Path) -> None:
    sessions = [
        ["My favorite drink is coffee.", "We went hiking in the hills, hiking all day."],
        ["Hiking again: the hiking trail was muddy."],
        ["The hiking club meets on Saturday for hiking."],
        ["My favorite drink is tea now.", "I started painting classes, painting is fun."],
        ["Painting landscapes all evening, painting with watercolours."],
        ["More painting today, the painting of the harbour is done."],
    ]
    with Memory.from_path(tmp_path / "mem") as memory:  # no model: the offline rules
        graph = graph_of(memory)
        for n, turns in enumerate(sessions):
            for text in turns:
                graph.invoke({"messages": [HumanMessage(text)]}, config(f"s{n}"))
            memory.end_session(f"s{n}")
        memory.flush()
        trends = memory.trends("ada")
        assert "painting" in {t.topic for t in trends.rising}
        assert "hiking" in {t.topic for t in trends.fading}
        assert [(c.kind, c.category, c.before, c.now) for c in trends.preferences] == [
            ("changed", "favorite_drink", "coffee", "tea")
        ]
        text = recalled(memory, "later", "What have I been into lately?")
        assert "rising: painting" in text
        assert "fading: hiking" in text
        assert memory.llm_calls.total == 0
        memory.forget_user("ada")  # trends are read from the user's own items: gone with them
        assert memory.trends("ada") == Trends()
        assert memory.mood("ada").points == []


def test_health_figures_outlive_the_process_that_made_them(tmp_path: Path) -> None:
    path = tmp_path / "mem"
    with Memory.from_path(path) as memory:
        memory.ingest(
            ["I love sailing.", "My favorite drink is tea."], user_id="ada", thread_id="t1"
        )
    script = textwrap.dedent(
        f"""
        from langmem_plugin import Memory
        with Memory.from_path({str(path)!r}) as memory:
            for query in ("sailing", "what do I drink?", "tea"):
                memory.recall_context("ada", query)
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=300)
    with Memory.from_path(path) as memory:
        memory.recall_context("ada", "boats")  # this process's own, not flushed yet
        today = memory.health(days=7).days[-1]
        assert today.recalls == 4
        assert today.recall_ms is not None
        assert 0 < today.recall_ms <= today.recall_peak_ms
        assert today.items >= 4
        assert today.new_items["archive"] == 2
        assert memory.health(days=7).users == 1
        memory.forget_user("ada")
        rows = memory.store._db.query(f"SELECT * FROM {memory.daily_stats.table}")
        assert rows
        assert not any("ada" in str(row) for row in rows)
        assert memory.health(days=1).days[-1].items == 0  # forgotten items count no more


def test_health_figures_add_up_across_memories_on_postgresql(
    tmp_path: Path, fresh_postgres_url: str
) -> None:
    chroma = str(tmp_path / "chroma")
    for round_ in range(2):  # as two processes would, one after the other
        with Memory.from_url(chroma, fresh_postgres_url) as memory:
            if round_ == 0:
                memory.ingest(["I love sailing."], user_id="ada", thread_id="t1")
            memory.recall_context("ada", "sailing")
            memory.recall_context("ada", "boats")
    with Memory.from_url(chroma, fresh_postgres_url) as memory:
        today = memory.health(days=2).days[-1]
    assert today.recalls == 4
    assert today.recall_ms is not None
    assert today.recall_peak_ms >= today.recall_ms
    assert today.new_items["archive"] == 1
