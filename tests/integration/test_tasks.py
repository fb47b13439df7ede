"""Tasks across sessions on real storage (Chroma on disk or a Chroma server, SQLite/PostgreSQL).

The three-session scenario: a task stated in session 1 (recorded with its time), restated
and listed through the agent in session 2, recalled as overdue in session 3 (a new thread,
a reopened memory) and completed there through ``update_task``, with the id the model read
in the recall context. The agent is ``create_memory_agent`` (a real LangGraph graph) with a
scripted model; the memory runs its offline rules.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

from langmem_plugin import Memory
from langmem_plugin._admin import forget_user, list_users
from langmem_plugin._admin._export import export_memory, import_memory
from langmem_plugin.agent import create_memory_agent
from langmem_plugin.cli import main
from langmem_plugin.errors import IllegalTransitionError, TaskNotFoundError
from langmem_plugin.store import ChromaStore
from langmem_plugin.tasks import TaskStore
from langmem_plugin.testing import ScriptedChatModel
from tests.unit.nodes_support import embeddings

TASK_ID = re.compile(r"OVERDUE \(was due [^)]*\): Renew my passport \(task (?P<id>[0-9a-f]+)\)")


def call(name: str, args: dict[str, Any], cid: str) -> AIMessage:
    return AIMessage("", tool_calls=[{"name": name, "args": args, "id": cid}])


def system_text(messages: list[BaseMessage]) -> str:
    return "\n".join(m.text for m in messages if isinstance(m, SystemMessage))


@pytest.fixture
def memory_path(tmp_path: Path) -> Path:
    return tmp_path / "memory"


def test_a_task_stated_in_session_1_is_overdue_in_session_3_and_completed_by_the_tool(
    memory_path: Path,
) -> None:
    said = datetime.now(UTC) - timedelta(days=10)
    with Memory.from_path(memory_path) as memory:
        # Session 1, recorded with its time: "by Friday" is the Friday after it.
        memory.ingest(
            [
                HumanMessage("Remind me to renew my passport by Friday, it expires soon."),
                AIMessage("I will remind you."),
            ],
            user_id="ada",
            thread_id="session-1",
            timestamp=said,
        )
        [task] = memory.tasks.list("ada")
        friday = said.date() + timedelta(days=(4 - said.weekday()) % 7 or 7)
        assert (task.description, task.status, task.source) == (
            "Renew my passport",
            "open",
            "rules",
        )
        assert task.due is not None
        assert task.due.date() == friday

        # Session 2: the agent lists the tasks; the user restates the task (one task stays).
        model = ScriptedChatModel(
            script=[call("list_tasks", {}, "c1"), "You have one task: renew your passport."]
        )
        agent = create_memory_agent(model, memory=memory)
        config = {"configurable": {"thread_id": "session-2", "user_id": "ada"}}
        out = agent.invoke(
            {"messages": [HumanMessage("Don't let me forget to renew my passport!")]}, config
        )
        listed = [m for m in out["messages"] if isinstance(m, ToolMessage)][-1]
        assert f"[{task.id}] Renew my passport (open, due" in listed.text
        memory.flush()
        assert [t.id for t in memory.tasks.list("ada")] == [task.id]

    # Session 3: a new thread on the reopened memory; recall shows the task as overdue and
    # the model completes it with the id it reads there.
    seen: list[str] = []

    def complete_from_context(messages: list[BaseMessage]) -> AIMessage:
        context = system_text(messages)
        seen.append(context)
        found = TASK_ID.search(context)
        assert found is not None, context
        return call(
            "update_task",
            {"task_id": found["id"], "status": "completed", "note": "renewed at the town hall"},
            "c2",
        )

    model = ScriptedChatModel(script=[complete_from_context, "Great, I marked it done."])
    with Memory.from_path(memory_path) as memory:
        agent = create_memory_agent(model, memory=memory)
        config = {"configurable": {"thread_id": "session-3", "user_id": "ada"}}
        out = agent.invoke(
            {"messages": [HumanMessage("I just got back from the town hall.")]}, config
        )
        result = [m for m in out["messages"] if isinstance(m, ToolMessage)][-1]
        assert result.text.startswith(f"Updated: [{task.id}] Renew my passport (completed")
        memory.flush()
        done = memory.tasks.get("ada", task.id)
        assert done.status == "completed"
        assert [(e.status, e.note) for e in memory.tasks.history("ada", task.id)] == [
            ("open", "found by rules in thread session-1"),
            ("completed", "renewed at the town hall"),
        ]
        after = memory.recall_context("ada", "passport")
        assert "OVERDUE" not in after
        assert f"(task {task.id})" not in after
    assert "OVERDUE" in seen[0]


@pytest.fixture
def task_store(make_store: Any) -> TaskStore:
    store: ChromaStore = make_store(
        index={"dims": 384, "embed": embeddings(), "fields": ["content"]}
    )
    return TaskStore(store)


def test_lifecycle_and_isolation_on_each_backend(task_store: TaskStore) -> None:
    mine = task_store.add("ada", "Renew my passport", due="2026-12-04", priority="high")
    theirs = task_store.add("bob", "Buy a bike")
    task_store.update("ada", mine.id, "in_progress", "booked an appointment")
    with pytest.raises(TaskNotFoundError):
        task_store.update("bob", mine.id, "completed")
    with pytest.raises(TaskNotFoundError):
        task_store.update("ada", theirs.id, "completed")
    task_store.update("ada", mine.id, "completed")
    with pytest.raises(IllegalTransitionError):
        task_store.update("ada", mine.id, "blocked")
    got = task_store.get("ada", mine.id)
    assert (got.status, got.priority, got.due) == (
        "completed",
        "high",
        datetime(2026, 12, 4, 23, 59, 59, tzinfo=UTC),
    )
    assert [e.status for e in got.history] == ["open", "in_progress", "completed"]
    assert [t.status for t in task_store.list("bob")] == ["open"]
    hits = task_store.store.search(("tasks", "ada"), query="passport renewal", limit=1)
    assert [h.key for h in hits] == [mine.id]


def test_forget_export_import_stats_and_users_cover_tasks(
    memory_path: Path, tmp_path: Path
) -> None:
    exported = tmp_path / "export.jsonl"
    with Memory.from_path(memory_path) as memory:
        ada = memory.tasks.add("ada", "Renew my passport", due="2026-12-04")
        memory.tasks.update("ada", ada.id, "blocked", "photo booth broken")
        memory.tasks.add("bob", "Buy a bike")
        assert memory.stats()["memories"]["tasks"] == 2
        assert {u.user_id: u.memories for u in list_users(memory)} == {"ada": 1, "bob": 1}
        export_memory(memory, exported)
        report = forget_user(memory, "ada")
        assert report.items[("tasks", "ada")] == 1
        assert memory.tasks.list("ada") == []
        assert [t.description for t in memory.tasks.list("bob")] == ["Buy a bike"]
    with Memory.from_path(tmp_path / "restored") as restored:
        import_memory(restored, exported)
        back = restored.tasks.get("ada", ada.id)
        assert (back.status, back.description) == ("blocked", "Renew my passport")
        assert [(e.status, e.note) for e in back.history] == [
            ("open", None),
            ("blocked", "photo booth broken"),
        ]
        hits = restored.store.search(("tasks", "ada"), query="passport", limit=1)
        assert [h.key for h in hits] == [ada.id]  # the vectors came back too


def test_the_tasks_command_lists_a_users_tasks_with_their_history(
    memory_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Memory.from_path(memory_path) as memory:
        late = memory.tasks.add("ada", "Renew my passport", due="2020-01-31")
        done = memory.tasks.add("ada", "Buy stamps")
        memory.tasks.update("ada", done.id, "completed", "bought ten")
        memory.tasks.add("bob", "Buy a bike")
    assert main(["tasks", "ada", "--path", str(memory_path)]) == 0
    out = capsys.readouterr().out
    assert f"[{late.id}] Renew my passport (open, due 2020-01-31 23:59)  OVERDUE" in out
    assert f"[{done.id}] Buy stamps (completed)  [source api]" in out
    assert "completed: bought ten" in out
    assert "Buy a bike" not in out
    assert main(["tasks", "ada", "--status", "completed", "--path", str(memory_path)]) == 0
    out = capsys.readouterr().out
    assert "Buy stamps" in out
    assert "Renew my passport" not in out
    assert main(["tasks", "bob", "--status", "completed", "--path", str(memory_path)]) == 0
    assert capsys.readouterr().out == "no completed tasks for user 'bob'\n"
    assert main(["tasks", "carol", "--path", str(memory_path)]) == 2  # nothing of carol
    assert "unknown user 'carol'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["tasks", "ada", "--status", "done", "--path", str(memory_path)])
    assert "invalid choice: 'done'" in capsys.readouterr().err
