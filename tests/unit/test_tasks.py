"""Tasks: lifecycle, validation, isolation, due dates, detection, recall and tools."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from langchain_core.messages import AIMessage, HumanMessage
from langgraph.store.memory import InMemoryStore

from langmem_plugin.errors import IllegalTransitionError, InvalidTaskError, TaskNotFoundError
from langmem_plugin.tasks._detect import detect_tasks
from langmem_plugin.tasks._due import find_due, parse_due
from langmem_plugin.testing import ScriptedChatModel
from tests.unit.nodes_support import FeatureHost
from tests.unit.test_nodes_recall import CountingEmbeddings

WED = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # a Wednesday


def end(y: int, m: int, d: int, tz: timezone = UTC) -> datetime:
    return datetime(y, m, d, 23, 59, 59, tzinfo=tz)


# ---------------------------------------------------------------------------- lifecycle
STATUSES = ["open", "in_progress", "blocked", "completed", "cancelled"]
# Written out here, independently of the library's table: the refused moves.
ILLEGAL = {(s, s) for s in STATUSES} | {
    (done, other)
    for done in ("completed", "cancelled")
    for other in ("in_progress", "blocked", "completed", "cancelled")
}
# How to bring a new task to each status (every step legal).
PATH = {
    "open": [],
    "in_progress": ["in_progress"],
    "blocked": ["blocked"],
    "completed": ["completed"],
    "cancelled": ["cancelled"],
}


@pytest.mark.parametrize(("old", "new"), list(itertools.product(STATUSES, STATUSES)))
def test_every_transition_is_allowed_or_refused_without_change(old: str, new: str) -> None:
    host = FeatureHost()
    task = host.tasks.add("ada", "Renew my passport")
    for step in PATH[old]:
        host.tasks.update("ada", task.id, step)
    before = host.store.get(("tasks", "ada"), task.id)
    assert before is not None
    if (old, new) in ILLEGAL:
        with pytest.raises(IllegalTransitionError, match=f"is {old}; it cannot become {new}"):
            host.tasks.update("ada", task.id, new, note="try")
        after = host.store.get(("tasks", "ada"), task.id)
        assert after is not None
        assert after.value == before.value
    else:
        updated = host.tasks.update("ada", task.id, new, note=f"{old} to {new}")
        assert updated.status == new
        assert host.tasks.get("ada", task.id).status == new
        last = host.tasks.history("ada", task.id)[-1]
        assert (last.status, last.note) == (new, f"{old} to {new}")


def test_history_keeps_every_change_with_its_time_and_note() -> None:
    host = FeatureHost()
    t0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    task = host.tasks.add("ada", "File the taxes", due="2026-11-30", now=t0)
    host.tasks.update("ada", task.id, "in_progress", "gathering receipts", now=t0 + timedelta(1))
    host.tasks.update("ada", task.id, "blocked", "waiting for the bank", now=t0 + timedelta(2))
    host.tasks.update("ada", task.id, "completed", now=t0 + timedelta(3))
    history = host.tasks.history("ada", task.id)
    assert [(e.status, e.note) for e in history] == [
        ("open", None),
        ("in_progress", "gathering receipts"),
        ("blocked", "waiting for the bank"),
        ("completed", None),
    ]
    assert [e.at[:10] for e in history] == ["2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04"]


@pytest.mark.parametrize("status", ["done", "OPEN", "", None, 3])
def test_a_status_outside_the_lifecycle_is_refused_and_changes_nothing(status: object) -> None:
    host = FeatureHost()
    task = host.tasks.add("ada", "Renew my passport")
    before = host.store.get(("tasks", "ada"), task.id)
    with pytest.raises(InvalidTaskError, match="status must be one of open, in_progress"):
        host.tasks.update("ada", task.id, status)  # type: ignore[arg-type]
    assert host.store.get(("tasks", "ada"), task.id).value == before.value  # type: ignore[union-attr]


def test_an_unknown_id_is_refused() -> None:
    host = FeatureHost()
    host.tasks.add("ada", "Renew my passport")
    with pytest.raises(TaskNotFoundError, match="user 'ada' has no task 'nope'") as info:
        host.tasks.update("ada", "nope", "completed")
    assert isinstance(info.value, LookupError)
    with pytest.raises(TaskNotFoundError):
        host.tasks.history("ada", "nope")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"description": "  "}, "description must be a non-empty string"),
        ({"description": "x", "priority": "urgent"}, "priority must be one of low, medium, high"),
        ({"description": "x", "due": "whenever"}, "due must be a datetime"),
        ({"description": "x", "due": 42}, "got 42"),
    ],
)
def test_invalid_tasks_are_refused_and_nothing_is_written(
    kwargs: dict[str, object], message: str
) -> None:
    host = FeatureHost()
    with pytest.raises(InvalidTaskError, match=message) as info:
        host.tasks.add("ada", **kwargs)  # type: ignore[arg-type]
    assert isinstance(info.value, ValueError)
    assert host.store.search(("tasks", "ada")) == []


def test_list_filters_by_status_and_due_date_due_ones_first() -> None:
    host = FeatureHost()
    a = host.tasks.add("ada", "No date")
    b = host.tasks.add("ada", "Later", due=date(2026, 12, 20))
    c = host.tasks.add("ada", "Sooner", due=date(2026, 12, 1))
    host.tasks.update("ada", b.id, "blocked")
    assert [t.id for t in host.tasks.list("ada")] == [c.id, b.id, a.id]
    assert [t.id for t in host.tasks.list("ada", status="blocked")] == [b.id]
    assert [t.id for t in host.tasks.list("ada", status=["open"])] == [c.id, a.id]
    assert [t.id for t in host.tasks.list("ada", due_before=date(2026, 12, 10))] == [c.id]
    with pytest.raises(InvalidTaskError):
        host.tasks.list("ada", status="finished")


# ---------------------------------------------------------------------------- isolation
def test_another_users_task_is_unknown_and_untouched() -> None:
    host = FeatureHost()
    mine = host.tasks.add("ada", "Renew my passport")
    host.tasks.add("bob", "Buy a bike")
    before = host.store.get(("tasks", "ada"), mine.id)
    with pytest.raises(TaskNotFoundError, match="user 'bob' has no task"):
        host.tasks.update("bob", mine.id, "completed")
    with pytest.raises(TaskNotFoundError):
        host.tasks.history("bob", mine.id)
    assert host.store.get(("tasks", "ada"), mine.id).value == before.value  # type: ignore[union-attr]
    assert [t.description for t in host.tasks.list("bob")] == ["Buy a bike"]
    assert [t.description for t in host.tasks.list("ada")] == ["Renew my passport"]


def test_tools_act_for_the_bound_user_only() -> None:
    host = FeatureHost()
    mine = host.tasks.add("ada", "Renew my passport", due="2026-01-01")
    add, update, listing = host.tools(user_id="bob")[3:]
    assert [t.name for t in (add, update, listing)] == ["add_task", "update_task", "list_tasks"]
    assert listing.invoke({}) == "No tasks."
    answer = update.invoke({"task_id": mine.id, "status": "completed"})
    assert f"user 'bob' has no task '{mine.id}'" in answer
    assert host.tasks.get("ada", mine.id).status == "open"
    assert "Added: [" in add.invoke({"description": "Buy a bike", "priority": "high"})
    assert "Buy a bike (open, high priority)" in listing.invoke({})
    again = add.invoke({"description": "buy a bike", "due": "2026-12-24"})
    assert again.startswith("Already tracked: [")
    assert "due 2026-12-24" in again
    assert len(host.tasks.list("bob")) == 1
    assert "Renew" not in listing.invoke({})
    assert "Renew my passport" not in host.recall_context("bob", "passport renewal")


def test_tool_errors_are_returned_to_the_model_and_change_nothing() -> None:
    host = FeatureHost()
    add, update, listing = host.tools(user_id="ada")[3:]
    assert "priority must be one of" in add.invoke({"description": "x", "priority": "asap"})
    task = host.tasks.add("ada", "Renew my passport")
    assert "status must be one of" in update.invoke({"task_id": task.id, "status": "done"})
    assert "statuses: open" in listing.invoke({"status": "done"})
    done = update.invoke({"task_id": task.id, "status": "completed", "note": "renewed"})
    assert done.startswith("Updated: [")
    assert "(completed" in done
    again = update.invoke({"task_id": task.id, "status": "completed"})
    assert "is completed; it cannot become completed" in again
    assert [e.status for e in host.tasks.history("ada", task.id)] == ["open", "completed"]
    assert listing.invoke({}) == "No tasks."
    assert "Renew my passport" in listing.invoke({"status": "completed"})


# ---------------------------------------------------------------------------- due dates
@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("by Friday", end(2026, 11, 27)),
        ("on Wednesday", end(2026, 12, 2)),  # a bare weekday is never today
        ("by this Monday", end(2026, 11, 30)),
        ("next Friday", end(2026, 12, 4)),  # Friday of next week
        ("by next Monday", end(2026, 11, 30)),
        ("today", end(2026, 11, 25)),
        ("tonight", end(2026, 11, 25)),
        ("by end of day", end(2026, 11, 25)),
        ("tomorrow", end(2026, 11, 26)),
        ("tomorrow at 3pm", datetime(2026, 11, 26, 15, 0, tzinfo=UTC)),
        ("by Friday at 9:30 am", datetime(2026, 11, 27, 9, 30, tzinfo=UTC)),
        ("the day after tomorrow", end(2026, 11, 27)),
        ("in 3 days", end(2026, 11, 28)),
        ("in two weeks", end(2026, 12, 9)),
        ("in a couple of days", end(2026, 11, 27)),
        ("within a week", end(2026, 12, 2)),
        ("in 3 months", end(2027, 2, 25)),
        ("by the end of the week", end(2026, 11, 29)),
        ("this weekend", end(2026, 11, 29)),
        ("next week", end(2026, 12, 6)),
        ("by the end of next week", end(2026, 12, 6)),
        ("by the end of the month", end(2026, 11, 30)),
        ("next month", end(2026, 12, 31)),
        ("by the end of the year", end(2026, 12, 31)),
        ("by 5 June", end(2027, 6, 5)),  # already past this year: next year's
        ("on December 3rd", end(2026, 12, 3)),
        ("by Dec 31", end(2026, 12, 31)),
        ("by the 3rd of January 2027", end(2027, 1, 3)),
        ("on the 15th", end(2026, 12, 15)),
        ("by the 30th", end(2026, 11, 30)),
        ("before 2026-12-24", end(2026, 12, 24)),
    ],
)
def test_due_phrases_resolve_against_the_message_time(phrase: str, expected: datetime) -> None:
    found = find_due(f"I need to send the form {phrase}.", WED)
    assert found is not None
    assert found.due == expected


@pytest.mark.parametrize(
    "text",
    ["I need to send the form.", "We sat in the sun.", "I may go.", "It costs 5 dollars"],
)
def test_text_without_a_due_phrase_has_no_due_date(text: str) -> None:
    assert find_due(text, WED) is None


def test_a_due_date_keeps_the_message_time_zone() -> None:
    lisbon_evening = datetime(2026, 11, 25, 22, 0, tzinfo=timezone(timedelta(hours=-5)))
    found = find_due("by tomorrow", lisbon_evening)
    assert found is not None
    assert found.due == end(2026, 11, 26, timezone(timedelta(hours=-5)))


def test_parse_due_takes_dates_iso_strings_and_phrases() -> None:
    assert parse_due(None) is None
    assert parse_due(date(2026, 12, 1)) == end(2026, 12, 1)
    assert parse_due("2026-12-01", WED) == end(2026, 12, 1)
    assert parse_due("2026-12-01T08:00:00+00:00") == datetime(2026, 12, 1, 8, tzinfo=UTC)
    assert parse_due(datetime(2026, 12, 1, 8)) == datetime(2026, 12, 1, 8, tzinfo=UTC)
    assert parse_due("next Friday", WED) == end(2026, 12, 4)
    with pytest.raises(ValueError, match="'someday'"):
        parse_due("someday", WED)


# ---------------------------------------------------------------------------- detection
@pytest.mark.parametrize(
    ("text", "description", "due"),
    [
        ("Remind me to renew my passport by Friday.", "Renew my passport", end(2026, 11, 27)),
        ("Can you remind me to water the plants?", "Water the plants", None),
        ("Please remind me about the dentist tomorrow", "The dentist", end(2026, 11, 26)),
        ("Don't let me forget to call mom tonight!", "Call mom", end(2026, 11, 25)),
        ("Oh, and remind me to book the flights", "Book the flights", None),
        ("I really need to call the bank by tomorrow", "Call the bank", end(2026, 11, 26)),
        (
            "I need to finish the quarterly report by next Monday, and I want coffee.",
            "Finish the quarterly report",
            end(2026, 11, 30),
        ),
        ("I have to submit the visa form in two weeks", "Submit the visa form", end(2026, 12, 9)),
        ("I've got to pay rent on the 1st", "Pay rent", end(2026, 12, 1)),
        ("Make sure I send the invoice by Dec 3", "Send the invoice", end(2026, 12, 3)),
        (
            "Remind me to renew my passport by Friday, it expires.",
            "Renew my passport",
            end(2026, 11, 27),
        ),
        ("Remind me to buy milk, eggs and bread", "Buy milk, eggs and bread", None),
        ("Remind me to call Anna, she is waiting", "Call Anna", None),
        ("I must fix the bike by Monday because I need it", "Fix the bike", end(2026, 11, 30)),
    ],
)
def test_rules_find_requests_and_commitments(text: str, description: str, due: datetime) -> None:
    found = detect_tasks([HumanMessage(text, id="m1")], WED)
    assert [(p.description, p.due, p.message_id) for p in found] == [(description, due, "m1")]


@pytest.mark.parametrize(
    "text",
    [
        "I need to think about it.",  # a commitment counts only with a due date
        "Don't remind me about that again.",
        "Could you remind me what we said?",
        "I live in Lisbon and I love sailing.",
        # Found in LoCoMo conversations, none a request to the assistant:
        "Don't forget to prepare emotionally, since the wait can be hard.",  # advice
        "Moments like these remind me to appreciate the ones I love.",
        "I have no big events coming up, but I'm hoping to attend a conference next month.",
    ],
)
def test_rules_ignore_what_is_not_a_task(text: str) -> None:
    assert detect_tasks([HumanMessage(text, id="m1")], WED) == []


def test_rules_read_only_the_users_turns() -> None:
    messages = [AIMessage("Remind me to stretch.", id="a1"), HumanMessage("ok", id="h1")]
    assert detect_tasks(messages, WED) == []


def test_ingest_stores_found_tasks_open_with_their_source_and_due_from_the_timestamp() -> None:
    host = FeatureHost()
    report = host.ingest(
        [HumanMessage("Remind me to renew my passport by Friday.", id="m1")],
        user_id="ada",
        thread_id="s1",
        timestamp=WED,
    )
    [task] = host.tasks.list("ada")
    assert report.tasks == [task.id]
    assert (task.description, task.status, task.source) == ("Renew my passport", "open", "rules")
    assert (task.due, task.thread_id, task.source_message_id) == (end(2026, 11, 27), "s1", "m1")


def test_a_restated_task_stays_one_task_and_gains_its_due_date() -> None:
    host = FeatureHost()
    host.ingest([HumanMessage("Remind me to renew my passport.")], user_id="ada", thread_id="s1")
    host.ingest(
        [HumanMessage("I need to renew the passport by Friday!")],
        user_id="ada",
        thread_id="s2",
        timestamp=WED,
    )
    [task] = host.tasks.list("ada")
    assert (task.description, task.due) == ("Renew my passport", end(2026, 11, 27))
    host.tasks.update("ada", task.id, "completed")
    host.ingest([HumanMessage("Remind me to renew my passport.")], user_id="ada", thread_id="s3")
    assert [t.status for t in host.tasks.list("ada")] == ["completed", "open"]  # a new one


def test_the_session_call_proposes_tasks_and_the_rules_add_theirs_once() -> None:
    model = ScriptedChatModel(
        script=[
            {
                "episode": {"summary": "Ada plans a trip."},
                "tasks": [
                    {"description": "Renew my passport", "due": "2026-12-04", "message_id": "m1"},
                    {"description": "Book a hotel in Kyoto", "priority": "high"},
                    {"description": "Pack", "due": "at some point"},
                ],
            }
        ]
    )
    host = FeatureHost(llm=model)
    report = host.ingest(
        [
            HumanMessage("Remind me to renew my passport.", id="m1"),
            HumanMessage("I should also find a hotel in Kyoto.", id="m2"),
        ],
        user_id="ada",
        thread_id="s1",
        timestamp=WED,
    )
    assert model.calls == 1
    tasks = {t.description: t for t in host.tasks.list("ada")}
    assert sorted(tasks) == ["Book a hotel in Kyoto", "Pack", "Renew my passport"]
    assert {t.source for t in tasks.values()} == {"llm"}  # the rules' passport is the same
    assert tasks["Renew my passport"].due == end(2026, 12, 4)
    assert tasks["Book a hotel in Kyoto"].priority == "high"
    assert tasks["Pack"].due is None  # a due date the model wrote badly is dropped
    assert len(report.tasks) == 3
    prompt = model.inputs[0][0].text
    assert "Wednesday 2026-11-25 10:00 UTC" in prompt


def test_task_detection_can_be_turned_off() -> None:
    host = FeatureHost(tasks=False)
    host.ingest([HumanMessage("Remind me to renew my passport.")], user_id="ada", thread_id="s1")
    assert host.tasks.list("ada") == []


# ---------------------------------------------------------------------------- recall
def test_recall_shows_overdue_and_due_tasks_whatever_the_message() -> None:
    host = FeatureHost()
    now = datetime.now(UTC)
    late = host.tasks.add("ada", "Renew my passport", due=now - timedelta(days=3))
    soon = host.tasks.add("ada", "Call the plumber", due=now + timedelta(hours=5))
    later = host.tasks.add("ada", "Plan the garden", due=now + timedelta(days=30))
    done = host.tasks.add("ada", "Pay the gas bill", due=now - timedelta(days=1))
    host.tasks.update("ada", done.id, "completed")
    text = host.recall_context("ada", "Tell me a joke")
    assert f"OVERDUE (was due {late.due:%a %d %b %Y}): Renew my passport (task {late.id})" in text
    assert f"due {soon.due:%a %d %b %Y %H:%M}: Call the plumber (task {soon.id})" in text
    assert text.index("Renew my passport") < text.index("Call the plumber")
    assert later.id not in text
    assert done.id not in text


def test_recall_shows_open_tasks_relevant_to_the_message_only() -> None:
    host = FeatureHost()
    plants = host.tasks.add("ada", "Water the plants")
    report = host.tasks.add("ada", "Finish the quarterly report")
    blocked = host.tasks.add("ada", "Fix the garden hose")
    host.tasks.update("ada", blocked.id, "blocked", "no spare part")
    text = host.recall_context("ada", "Should I water my garden today?")
    assert f"- Water the plants (task {plants.id})" in text
    assert report.id not in text
    assert host.recall_context("ada", "Tell me a joke") == ""
    host.tasks.update("ada", plants.id, "completed")
    assert plants.id not in host.recall_context("ada", "Should I water my garden today?")


def test_tasks_fit_the_recall_budget() -> None:
    host = FeatureHost(recall_tokens=120)
    past = datetime.now(UTC) - timedelta(days=2)
    for n in range(30):
        host.tasks.add("ada", f"Overdue chore number {n} with a long description", due=past)
    text = host.recall_context("ada", "hello")
    from langchain_core.messages import SystemMessage

    from langmem_plugin._messages import count_tokens

    assert 0 < text.count("OVERDUE") < 30
    assert count_tokens([SystemMessage(text)]) <= 120


def test_recall_with_tasks_still_embeds_the_query_once() -> None:
    counting = CountingEmbeddings()
    host = FeatureHost()
    host.store = InMemoryStore(index={"dims": 384, "embed": counting, "fields": ["content"]})
    host.tasks.add("ada", "Water the plants")
    host.tasks.add("ada", "Renew my passport", due=datetime.now(UTC) - timedelta(days=1))
    counting.queries.clear()
    text = host.recall_context("ada", "Should I water my garden today?")
    assert "Water the plants" in text
    assert "OVERDUE" in text
    assert counting.queries == ["Should I water my garden today?"]


def test_an_agent_adds_a_task_for_the_runs_user_and_thread() -> None:
    from langgraph.checkpoint.memory import InMemorySaver

    from langmem_plugin.agent import create_memory_agent

    host = FeatureHost()
    call = AIMessage(
        "",
        tool_calls=[
            {
                "name": "add_task",
                "args": {"description": "Send Bob the slides", "due": "tomorrow", "user_id": "x"},
                "id": "c1",
            }
        ],
    )
    model = ScriptedChatModel(script=[call, "I will send them."])
    agent = create_memory_agent(model, memory=host, checkpointer=InMemorySaver(), memory_tools=True)
    config = {"configurable": {"thread_id": "t7", "user_id": "ada"}}
    agent.invoke({"messages": [HumanMessage("Please send Bob the slides.")]}, config)
    [task] = host.tasks.list("ada")
    assert (task.description, task.source, task.thread_id) == ("Send Bob the slides", "agent", "t7")
    assert task.due is not None
    assert task.due.date() == (datetime.now(UTC) + timedelta(days=1)).date()
    assert host.tasks.list("x") == []
