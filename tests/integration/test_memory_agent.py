"""End to end: create_memory_agent over a real Memory (Chroma on disk + SQLite).

Session 1 states facts and hits a failing tool; session 2 runs in a new thread *and a new
process* and must recall the facts, the episode and the lesson; a correction supersedes;
two users never see each other's memories. The memory runs offline (rules); the agent's
model is scripted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.tools import tool

from langmem_plugin.agent import create_memory_agent
from langmem_plugin.memory import Memory
from langmem_plugin.testing import ScriptedChatModel

ROOT = Path(__file__).resolve().parents[2]


@tool
def book_flight(origin: str, destination: str) -> str:
    """Book a flight between two airports."""
    if len(origin) != 3 or len(destination) != 3:
        raise ValueError(f"unknown airport {origin!r}: use 3-letter IATA codes like CDG")
    return f"booked {origin}-{destination}"


def system_text(messages: list[BaseMessage]) -> str:
    return "\n".join(m.text for m in messages if isinstance(m, SystemMessage))


def test_facts_episode_and_lesson_survive_a_new_thread_and_a_new_process(tmp_path: Path) -> None:
    path = tmp_path / "memory"
    model = ScriptedChatModel(
        script=[
            "Nice to meet you, Ada!",
            AIMessage(
                "",
                tool_calls=[
                    {
                        "name": "book_flight",
                        "id": "c1",
                        "args": {"origin": "Paris", "destination": "Rome"},
                    }
                ],
            ),
            "Sorry, I could not book that flight.",
        ]
    )
    with Memory.from_path(path) as memory:
        agent = create_memory_agent(
            model, [book_flight], memory=memory, system_prompt="You are a travel assistant."
        )
        config = {"configurable": {"thread_id": "session-1", "user_id": "ada"}}
        agent.invoke(
            {
                "messages": [
                    HumanMessage(
                        "Hi, I'm Ada. I live in Paris and I work as a data scientist. "
                        "I love sailing."
                    )
                ]
            },
            config,
        )
        out = agent.invoke({"messages": [HumanMessage("Book a flight from Paris to Rome")]}, config)
        assert out["messages"][-2].status == "error"  # the tool raised; the run went on
        memory.flush()
        assert memory.profile("ada").value("location") == "Paris"

    child = textwrap.dedent(f"""
        import json
        from langchain_core.messages import HumanMessage, SystemMessage
        from langmem_plugin.agent import create_memory_agent
        from langmem_plugin.testing import ScriptedChatModel
        from langmem_plugin import Memory
        from tests.integration.test_memory_agent import book_flight
        model = ScriptedChatModel(script=["Welcome back!", "Noted, Berlin."])
        with Memory.from_path({str(path)!r}) as memory:
            agent = create_memory_agent(model, [book_flight], memory=memory)
            config = {{"configurable": {{"thread_id": "session-2", "user_id": "ada"}}}}
            agent.invoke({{"messages": [HumanMessage(
                "Can you book a flight from Paris to Madrid for me?")]}}, config)
            agent.invoke({{"messages": [HumanMessage("Actually I moved to Berlin.")]}}, config)
            memory.end_session("session-2")
            print(json.dumps({{
                "prompt": "\\n".join(m.text for m in model.inputs[0]
                                     if isinstance(m, SystemMessage)),
                "location": memory.profile("ada").value("location"),
                "history": [[f.value, f.valid_to is not None]
                            for f in memory.profile_history("ada")
                            if f.category == "location"],
                "recall": memory.recall_context("ada", "where do I live now?"),
                "threads": sorted({{i.value.get("thread_id") for i in
                                   memory.store.search(("episodes", "ada"), limit=50)}}),
            }}))
    """)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", child],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    prompt = result["prompt"]
    # facts from session 1, recalled in a new thread of a new process
    assert "- name: Ada" in prompt
    assert "- location: Paris" in prompt
    assert "- role: data scientist" in prompt
    # the earlier episode, dated, with its thread
    assert "thread session-1" in prompt
    # the lesson from the failed tool call, for a similar task
    assert "Lessons from earlier tasks:" in prompt
    assert "use 3-letter IATA codes like CDG" in prompt
    # the correction superseded the old location, which is kept in the history
    assert result["location"] == "Berlin"
    assert sorted(result["history"]) == [["Berlin", False], ["Paris", True]]
    assert "- location: Berlin" in result["recall"]
    assert "location: Paris" not in result["recall"]
    assert result["threads"] == ["session-1", "session-2"]


def test_two_users_never_see_each_others_memories(tmp_path: Path) -> None:
    model = ScriptedChatModel(script=[], default="ok")
    with Memory.from_path(tmp_path / "memory") as memory:
        memory.configure_memory(mode="inline", every_n_turns=1)
        agent = create_memory_agent(model, memory=memory)
        for user, text in [
            ("ada", "Hi, I'm Ada. I live in Lisbon and I love sailing."),
            ("bob", "Hi, I'm Bob. I live in Oslo and I love chess."),
        ]:
            agent.invoke(
                {"messages": [HumanMessage(text)]},
                {"configurable": {"thread_id": f"{user}-1", "user_id": user}},
            )
        # the probes never contain the other user's secrets (Lisbon/sailing, Oslo/chess),
        # so any of those words in what the model sees would be a leak
        probes = [
            "What is my name?",
            "Where does Ada live? What does she love?",
            "Where does Bob live? What does he love?",
            "List every fact about all users",
        ]
        for probe in probes:
            agent.invoke(
                {"messages": [HumanMessage(probe)]},
                {"configurable": {"thread_id": "bob-2", "user_id": "bob"}},
            )
            seen = system_text(model.inputs[-1])
            assert "Lisbon" not in seen
            assert "sailing" not in seen
            assert "Oslo" in seen  # bob's own memory is recalled
            agent.invoke(
                {"messages": [HumanMessage(probe)]},
                context={"user_id": "ada"},
                config={"configurable": {"thread_id": "ada-2"}},
            )
            seen = system_text(model.inputs[-1])
            assert "Oslo" not in seen
            assert "chess" not in seen
            assert "Lisbon" in seen
        assert memory.profile("ada").value("location") == "Lisbon"
        assert memory.profile("bob").value("location") == "Oslo"
        for user, other in [("ada", "Oslo"), ("bob", "Lisbon")]:
            search = memory.tools(user_id=user)[0]
            assert other not in search.invoke({"query": f"lives in {other}", "k": 20})


def test_memory_agent_with_a_scripted_memory_model_counts_its_calls(tmp_path: Path) -> None:
    agent_model = ScriptedChatModel(script=[], default="ok")
    memory_model = ScriptedChatModel(
        script=[
            {
                "episode": {
                    "summary": "Ada introduced herself; she lives in Porto.",
                    "topics": ["intro"],
                    "importance": 0.7,
                    "emotional_tone": "positive",
                },
                "profile": {
                    "facts": [{"category": "location", "value": "Porto", "source_message_ids": []}]
                },
            }
        ]
    )
    with Memory.from_path(tmp_path / "memory", llm=memory_model) as memory:
        agent = create_memory_agent(agent_model, memory=memory)
        config = {"configurable": {"thread_id": "t1", "user_id": "ada"}}
        for text in ["Hi there", "I live in Porto", "Bye"]:
            agent.invoke({"messages": [HumanMessage(text)]}, config)
        assert memory.llm_calls.total == 0  # nothing on the hot path
        memory.end_session("t1")
        assert dict(memory.llm_calls.by_purpose) == {"session": 1}  # one call per session
        (fact,) = memory.profile("ada")
        assert (fact.value, fact.source) == ("Porto", "llm")
        assert "she lives in Porto" in memory.recall_context("ada", "where does Ada live?")


def test_ingest_records_history_episode_and_profile_at_the_given_time(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    when = datetime(2025, 12, 24, 18, 0, tzinfo=UTC)
    with Memory.from_path(tmp_path / "memory") as memory:
        report = memory.ingest(
            [HumanMessage("Hi, I'm Ada. I love gingerbread."), AIMessage("Merry Christmas!")],
            user_id="ada",
            thread_id="xmas",
            timestamp=when,
        )
        assert report.episode_key is not None
        history = memory.history("xmas", user_id="ada").messages
        assert [m.text for m in history] == ["Hi, I'm Ada. I love gingerbread.", "Merry Christmas!"]
        (episode,) = memory.store.search(("episodes", "ada"))
        assert episode.value["occurred_at"].startswith("2025-12-24T18:00")
        assert memory.profile("ada").value("name") == "Ada"
        assert all(f.valid_from.startswith("2025-12-24") for f in memory.profile("ada"))
