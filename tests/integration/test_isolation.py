"""A user id is matched only at the namespace position that holds the user, everywhere.

Real files (embedded Chroma, SQLite items and checkpoints), users whose ids collide with
every other label a namespace holds (see ``_isolation_data``): search, forget (dry run,
real, by query; Python and ``langmem``), export, stats and the users listing, the inspector
through its ASGI app, and the audit log. Forgetting one user must leave every other
user's records (values, times, TTLs), sessions, messages and checkpoints exactly as they
were.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from langgraph.store.memory import InMemoryStore
from starlette.testclient import TestClient

from langmem_plugin import Memory
from langmem_plugin._admin import list_users, search_user
from langmem_plugin._ids import id_label
from langmem_plugin._namespaces import namespace_user, user_namespaces
from langmem_plugin.cli import main
from langmem_plugin.errors import InvalidIdError, LangMemError
from langmem_plugin.ui import create_app
from tests.integration._isolation_data import (
    AGENT,
    ENCODED,
    TOKENS,
    USERS,
    owned,
    partner,
    records,
    seed,
)
from tests.integration._memory_data import checkpoints

BAD_IDS = ["", "  ", "\t", "a\x00b"]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A closed memory folder holding every user of ``USERS`` (copied by each test)."""
    folder = tmp_path_factory.mktemp("isolation") / "memory"
    with Memory.from_path(folder) as memory:
        seed(memory)
    return folder


@pytest.fixture
def folder(seeded: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "memory"
    shutil.copytree(seeded, copy)
    return copy


@pytest.fixture
def memory(folder: Path) -> Iterator[Memory]:
    with Memory.from_path(folder) as opened:
        yield opened


def _state(memory: Memory) -> dict[str, Any]:
    """Records, checkpoints, and every user's sessions and messages as the API reads them."""
    sessions = {user: memory.sessions(user) for user in USERS}
    return {
        "records": records(memory),
        "checkpoints": checkpoints(memory.checkpointer),
        "sessions": sessions,
        "messages": {
            (user, info.session_id): memory.history(info.session_id, user_id=user).messages
            for user, infos in sessions.items()
            for info in infos
        },
    }


def _without(state: dict[str, Any], user: str) -> dict[str, Any]:
    """``state`` as it must be once ``user`` is forgotten: the oracle, nothing else gone."""
    threads = {partner(user)}
    return {
        "records": {
            k: r for k, r in state["records"].items() if not owned(k[0], k[1], r.value, user)
        },
        "checkpoints": [c for c in state["checkpoints"] if c[0] not in threads],
        "sessions": {u: ([] if u == user else s) for u, s in state["sessions"].items()},
        "messages": {k: m for k, m in state["messages"].items() if k[0] != user},
    }


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# ---------------------------------------------------------------------------- the rule
def test_the_seed_puts_user_ids_at_every_other_position() -> None:
    """The data is adversarial: each id is another's session, thread and deeper label."""
    assert {"1", "11", AGENT} <= set(USERS)
    assert {"memories", "archive", "profile", "sessions", "session_owners"} <= set(USERS)
    assert all(partner(user) in USERS and partner(user) != user for user in USERS)


def test_namespace_user_is_the_second_label_and_only_there() -> None:
    assert namespace_user(("projects", "2", "1")) == "2"
    assert namespace_user(("memories", "memories")) == "memories"
    assert namespace_user(("archive", "1", "11")) == "1"
    assert namespace_user(("session_owners",)) is None
    assert namespace_user(("agent_lessons", "1")) is None  # an agent's, never a user's
    assert namespace_user(("lessons", "1")) == "1"


def test_user_namespaces_are_listed_alike_on_chromastore_and_inmemorystore(
    make_store: Any,
) -> None:
    namespaces = [
        ("memories", "1"),
        ("memories", "11"),
        ("projects", "2", "1"),
        ("1", "2"),
        ("archive", "1", "11"),
        ("archive", "11", "1"),
        ("session_owners",),
        ("agent_lessons", "1"),
        ("lessons", "1"),
        ("*", "1"),
        ("memories", "*"),
    ]
    chroma, reference = make_store(), InMemoryStore()
    for ns in namespaces:
        for store in (chroma, reference):
            store.put(ns, "k", {"v": 1})
    for user in ("1", "11", "2", "memories", "projects"):
        listed = user_namespaces(chroma, user)
        assert listed == user_namespaces(reference, user), user
        assert all(ns[1] == user for ns in listed), user
    assert user_namespaces(chroma, "1") == [
        ("*", "1"),
        ("archive", "1", "11"),
        ("lessons", "1"),
        ("memories", "1"),
    ]
    assert user_namespaces(chroma, "2") == [("1", "2"), ("projects", "2", "1")]


# ---------------------------------------------------------------------------- search
def test_search_finds_the_users_items_and_nobody_elses(memory: Memory) -> None:
    for user in USERS:
        token = TOKENS[user]
        items, messages = search_user(memory, user, f"{token} project note", limit=50)
        assert items, user
        assert {namespace_user(item.namespace) for item in items} == {user}, user
        project = ("projects", id_label(user), id_label(partner(user)))
        assert project in {item.namespace for item in items}
        texts = " ".join(str(item.value) for item in items) + " ".join(
            m.message.text for m in messages
        )
        assert token in texts, user
        assert [t for u, t in TOKENS.items() if u != user and t in texts] == [], user
        assert {hit.session_id for hit in messages} <= {partner(user)}, user


def test_trends_and_mood_read_only_the_users_sessions(memory: Memory) -> None:
    for user in USERS:
        topics = {t for s in memory.trends(user).sessions for t in s.topics}
        assert TOKENS[user] in topics, user
        assert [t for u, t in TOKENS.items() if u != user and t in topics] == [], user
        assert {p.thread_id for p in memory.mood(user).points} <= {partner(user)}, user


@pytest.mark.parametrize("user", ["1", "memories", "archive"])
def test_langmem_search_shows_only_the_users_items(
    folder: Path, user: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "search", user, f"{TOKENS[user]} project", "--path", str(folder))
    assert code == 0
    assert TOKENS[user] in out
    assert [t for u, t in TOKENS.items() if u != user and t in out] == []
    shown = re.findall(r"^\s+\S+\s+(\S+)/[^/\s]+:", out, re.M)
    assert shown
    assert all(path.split("/")[1] == user for path in shown), shown


# ---------------------------------------------------------------------------- listing
def test_users_and_stats_count_each_user_once_and_no_agent(memory: Memory) -> None:
    memory.reflect_on("convert money", "Error: use ISO codes", user_id="1", agent_id="only-agent")
    every = records(memory)
    summaries = {summary.user_id: summary for summary in list_users(memory)}
    assert sorted(summaries) == sorted(USERS)  # "only-agent" and the agent's lessons: no user
    for user in USERS:
        mine = [
            k
            for k, r in every.items()
            if owned(k[0], k[1], r.value, user)
            and k[0][0] not in ("archive", "sessions", "session_owners")
        ]
        assert summaries[user].memories == len(mine), user
        assert (summaries[user].sessions, summaries[user].messages) == (1, 2), user
    stats = memory.stats()
    assert stats["users"] == len(USERS)
    agents = [k for k in every if k[0][0] == "agent_lessons"]
    assert ("agent_lessons", "only-agent") in {ns for ns, _ in agents}
    assert stats["memories"]["agent_lessons"] == len(agents)


# ---------------------------------------------------------------------------- forget
def test_forget_dry_run_names_exactly_the_users_data(memory: Memory) -> None:
    before = _state(memory)
    for user in USERS:
        report = memory.forget_user(user, dry_run=True)
        expected = {
            k[0]
            for k, r in before["records"].items()
            if owned(k[0], k[1], r.value, user) and k[0][0] not in ("archive", "sessions")
        } - {("session_owners",)}
        assert set(report.items) == expected, user
        assert report.sessions == [partner(user)], user
        assert report.threads == [partner(user)], user
        assert report.kept_threads == [], user
    assert _state(memory) == before


@pytest.mark.parametrize(
    "user", ["1", "11", "memories", "session_owners", AGENT, USERS[-1], *ENCODED]
)
def test_forget_user_removes_exactly_the_users_data(memory: Memory, user: str) -> None:
    before = _state(memory)
    agent_lessons = memory.lessons(agent_id=AGENT)
    report = memory.forget_user(user)
    assert report.threads == [partner(user)]
    after = _state(memory)
    assert after == _without(before, user)
    assert after["records"] != before["records"]  # something was removed
    assert memory.lessons(agent_id=AGENT) == agent_lessons  # shared by every user
    assert user not in {summary.user_id for summary in list_users(memory)}


def test_langmem_forget_of_a_kind_named_user_leaves_that_kind_of_every_other_user(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Memory.from_path(folder) as memory:
        before = _state(memory)
    code, out, _ = run(capsys, "forget", "memories", "--dry-run", "--path", str(folder))
    assert code == 0
    assert "memories/memories: 1" in out
    assert "memories/1:" not in out
    code, out, _ = run(capsys, "forget", "memories", "--path", str(folder))
    assert code == 0
    assert out.startswith("forget 'memories': removed")
    with Memory.from_path(folder) as memory:
        assert _state(memory) == _without(before, "memories")
        others = [u for u in USERS if u != "memories"]
        assert all(memory.store.get(("memories", id_label(u)), "note") for u in others)


def test_forget_by_query_reaches_only_the_users_own_items(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Memory.from_path(folder) as memory:
        first = records(memory)
        # user 1 asks to forget user 11's token: nothing of 11's is 1's to forget
        memory.forget("1", query=TOKENS["11"], dry_run=False)
        before = _state(memory)
    assert set(before["records"]) <= set(first)
    assert all(ns[1] == "1" for ns, _ in set(first) - set(before["records"]))
    assert all(k in before["records"] for k, r in first.items() if not owned(*k, r.value, "1"))
    code, out, _ = run(
        capsys, "forget", "1", "--query", TOKENS["1"], "--yes", "--path", str(folder)
    )
    assert code == 0
    listed = re.findall(r"\[(?:turn|fact|memory)\] (\S+) \(", out)
    assert listed
    assert all(where.split("/")[1] == "1" for where in listed), listed
    with Memory.from_path(folder) as memory:
        after = records(memory)
    gone = set(before["records"]) - set(after)
    assert gone
    assert all(ns[1] == "1" for ns, _ in gone)
    assert {k: r for k, r in before["records"].items() if k not in gone} == after
    assert not any(TOKENS["1"] in str(r.value) for r in after.values())


def test_export_after_forget_holds_nothing_of_the_user_and_agent_lessons_round_trip(
    memory: Memory, tmp_path: Path
) -> None:
    memory.forget_user(AGENT)
    target = tmp_path / "export.jsonl"
    memory.export(target)
    text = target.read_text()
    assert TOKENS[AGENT] not in text
    with Memory.from_path(tmp_path / "imported") as other:
        other.import_from(target)
        assert records(other).keys() == records(memory).keys()
        assert other.lessons(agent_id=AGENT) == memory.lessons(agent_id=AGENT)
        assert other.lessons(agent_id=AGENT)
        assert AGENT not in {summary.user_id for summary in list_users(other)}


# ---------------------------------------------------------------------------- inspector
def _client(memory: Memory) -> TestClient:
    return TestClient(create_app(memory), base_url="http://127.0.0.1")


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def test_inspector_users_page_counts_and_forget_of_a_kind_named_user(memory: Memory) -> None:
    before = _state(memory)
    with _client(memory) as client:
        page = client.get("/").text
        rows = dict(re.findall(r'<tr data-user="([^"]+)">(.*?)</tr>', page, re.S))
        assert sorted(rows) == sorted(USERS)
        lessons = {user: re.findall(r'"num">(\d+)<', row)[3] for user, row in rows.items()}
        assert set(lessons.values()) == {"1"}  # each its own lesson, none of the agent's
        victim = "archive"
        form = client.get("/forget-user", params={"user": victim}).text
        listed = re.findall(r"^    (\S+): \d+$", form, re.M)  # the dry run's namespaces
        assert listed
        assert all(ns.split("/")[1] == victim for ns in listed), listed
        answer = client.post(
            "/actions/forget-user",
            data={"csrf": _csrf(form), "user": victim, "confirm": victim},
            headers={"Origin": "http://127.0.0.1"},
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text
        assert "notice=forgot" in answer.headers["location"]
        assert f'data-user="{victim}"' not in client.get("/").text
    assert _state(memory) == _without(before, victim)


def test_inspector_refuses_an_item_of_another_user_named_in_the_form(memory: Memory) -> None:
    before = records(memory)
    with _client(memory) as client:
        page = client.get("/users/1").text
        # user 11's project names "1" at position 2: not user 1's to forget
        answer = client.post(
            "/actions/forget-item",
            data={
                "csrf": _csrf(page),
                "user": "1",
                "namespace": '["projects", "11", "1"]',
                "key": "plan",
            },
            headers={"Origin": "http://127.0.0.1"},
        )
        assert answer.status_code == 400
        assert "does not belong to user &#39;1&#39;" in answer.text
    assert records(memory) == before


# ---------------------------------------------------------------------------- bad ids
@pytest.mark.parametrize("bad", BAD_IDS)
def test_an_invalid_id_is_a_clear_error_and_changes_nothing(memory: Memory, bad: str) -> None:
    before = _state(memory)
    calls = [
        lambda: memory.forget_user(bad),
        lambda: memory.forget_user(bad, dry_run=True),
        lambda: memory.forget(bad, query="cat", dry_run=False),
        lambda: search_user(memory, bad, "cat"),
        lambda: memory.lessons(bad),
        lambda: memory.lessons(agent_id=bad),
        lambda: memory.move_lessons_to_agent(bad),
    ]
    for call in calls:
        with pytest.raises(InvalidIdError, match=re.escape(repr(bad))) as caught:
            call()
        assert isinstance(caught.value, LangMemError)
        assert isinstance(caught.value, ValueError)
    with _client(memory) as client:
        page = client.get("/forget-user", params={"user": bad})
        assert page.status_code == 400
        assert "user_id" in page.text
    assert _state(memory) == before


def test_langmem_forget_of_an_invalid_id_says_why(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Memory.from_path(folder) as memory:
        before = _state(memory)
    code, out, err = run(capsys, "forget", "", "--path", str(folder))
    assert (code, out) == (2, "")
    assert err == "langmem: error: user_id must be a non-empty string, got ''\n"
    with Memory.from_path(folder) as memory:
        assert _state(memory) == before


# ---------------------------------------------------------------------------- audit
def test_audit_rows_name_the_namespaces_user_or_the_agent(memory: Memory) -> None:
    for user in ("1", "11", "memories", AGENT, *ENCODED):
        events = memory.audit(user, limit=10_000)
        assert events, user
        assert {event.user_id for event in events} == {user}
        for event in events:
            if event.namespace not in ((), ("session_owners",)):  # the claims name no user
                assert event.namespace[0] == "agent_lessons" or event.namespace[1] == id_label(user)
        project = ("projects", id_label(user), id_label(partner(user)))
        assert project in {e.namespace for e in events}
    every = memory.audit(None, limit=10_000)
    agent_rows = [e for e in every if e.namespace[:1] == ("agent_lessons",)]
    assert len(agent_rows) == len(USERS)
    assert {e.agent_id for e in agent_rows} == {AGENT}


# ---------------------------------------------------------------------------- lessons
def test_lessons_of_an_earlier_version_move_to_their_agent(memory: Memory) -> None:
    """Before ``agent_lessons``, an agent's lessons were written as ``("lessons", agent)``."""
    legacy = "legacy-bot"
    memory.reflect_on("book a flight from Paris", "Error: use IATA", user_id=legacy)
    (lesson,) = memory.lessons(legacy)
    assert legacy in {summary.user_id for summary in list_users(memory)}  # read as a user
    assert "use IATA" not in memory.recall_context("1", "book a flight from Paris", agent_id=legacy)
    assert memory.move_lessons_to_agent(legacy) == 1
    assert memory.lessons(legacy) == []
    assert [moved.key for moved in memory.lessons(agent_id=legacy)] == [lesson.key]
    assert legacy not in {summary.user_id for summary in list_users(memory)}
    assert "use IATA" in memory.recall_context("1", "book a flight from Paris", agent_id=legacy)
    assert memory.move_lessons_to_agent(legacy) == 0


# ---------------------------------------------------------------------------- encoded ids
def test_ids_that_need_encoding_are_shown_as_given_everywhere(memory: Memory) -> None:
    """Users, stats, sessions and audit rows name ``a.b`` as ``a.b``, never its label."""
    assert set(ENCODED) <= {summary.user_id for summary in list_users(memory)}
    for user in ENCODED:
        assert [info.user_id for info in memory.sessions(user)] == [user], user
        assert [info.session_id for info in memory.sessions(user)] == [partner(user)], user
        hits = memory.history(partner(user), user_id=user).search(TOKENS[user], k=5)
        assert {hit.session_id for hit in hits} == {partner(user)}, user
        assert [task.user_id for task in memory.tasks.list(user)] == [user], user


def test_inspector_routes_ids_with_url_characters_to_their_own_page(memory: Memory) -> None:
    with _client(memory) as client:
        home = client.get("/").text
        for user in ENCODED:
            url = "/users/" + quote(user, safe="")
            assert f'href="{url}"' in home, user
            page = client.get(url)
            assert page.status_code == 200, (user, page.status_code)
            assert TOKENS[user] in page.text, user
            assert [t for u, t in TOKENS.items() if u != user and t in page.text] == [], user
            found = client.get("/search", params={"user": user, "q": f"{TOKENS[user]} note"})
            assert TOKENS[user] in found.text, user
            assert [t for u, t in TOKENS.items() if u != user and t in found.text] == [], user


@pytest.mark.parametrize(("victim", "twin"), [("a.b", "a%2Eb"), ("a%2Eb", "a.b"), ("a", "a.")])
def test_inspector_forget_of_an_encoded_id_leaves_its_naive_twin(
    memory: Memory, victim: str, twin: str
) -> None:
    before = _state(memory)
    with _client(memory) as client:
        form = client.get("/forget-user", params={"user": victim}).text
        answer = client.post(
            "/actions/forget-user",
            data={"csrf": _csrf(form), "user": victim, "confirm": victim},
            headers={"Origin": "http://127.0.0.1"},
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text
        assert client.get("/users/" + quote(twin, safe="")).status_code == 200
        assert TOKENS[twin] in client.get("/users/" + quote(twin, safe="")).text
    after = _state(memory)
    assert after == _without(before, victim)
    twin_records = {k: r for k, r in before["records"].items() if owned(*k, r.value, twin)}
    assert twin_records
    assert all(after["records"][k] == r for k, r in twin_records.items())


def test_export_and_import_keep_every_id(memory: Memory, tmp_path: Path) -> None:
    target = tmp_path / "export.jsonl"
    memory.export(target)
    lines = [json.loads(line) for line in target.read_text().splitlines()[1:]]
    for line in lines:
        if line["type"] == "item" and line["namespace"][0] == "memories":
            assert id_label(line["user_id"]) == line["namespace"][1]  # the id as given
    shown = {line.get("user_id") for line in lines if line["type"] == "item"}
    assert set(ENCODED) <= shown
    with Memory.from_path(tmp_path / "imported") as other:
        other.import_from(target)
        assert records(other).keys() == records(memory).keys()
        assert sorted(s.user_id for s in list_users(other)) == sorted(USERS)
        for user in ENCODED:
            assert other.sessions(user) == memory.sessions(user), user
            assert other.lessons(user) == memory.lessons(user), user
            messages = other.history(partner(user), user_id=user).messages
            assert messages == memory.history(partner(user), user_id=user).messages, user


def test_langmem_users_and_forget_name_encoded_ids_as_given(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "users", "--path", str(folder))
    assert code == 0
    lines = out.splitlines()[1:]
    for user in ENCODED:
        assert any(line.startswith(user + "  ") for line in lines), (user, out)
        label = id_label(user)
        if label != user and label not in USERS:  # a label is never shown as a user
            assert not any(line.startswith(label + "  ") for line in lines), (label, out)
    with Memory.from_path(folder) as memory:
        before = _state(memory)
    code, out, _ = run(capsys, "forget", "a.b", "--path", str(folder))
    assert code == 0
    assert out.startswith("forget 'a.b': removed")
    with Memory.from_path(folder) as memory:
        assert _state(memory) == _without(before, "a.b")
        assert memory.sessions("a%2Eb") == before["sessions"]["a%2Eb"]
    for user in ("a%2Eb", "maria@example.com", "acme.eu/42"):
        code, out, _ = run(capsys, "sessions", user, "--path", str(folder))
        assert (code, out.split()[0]) == (0, partner(user)), user
    code, out, err = run(capsys, "sessions", "a.b", "--path", str(folder))
    assert (code, out) == (2, ""), (code, err)
    assert "unknown user 'a.b'" in err
