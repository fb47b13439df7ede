"""Click-throughs of the memory inspector in headless Chromium, on the demo's real memory.

Each test drives the page as a person would (links, forms, buttons) and checks both what
the page shows and what the store holds afterwards.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from langmem_plugin._admin import list_users
from langmem_plugin._messages import count_tokens
from langmem_plugin._paging import search_all
from langmem_plugin.memory import Memory
from langmem_plugin.ui import BackgroundServer

USER = "ada"


def _open_user(page: Any, server: BackgroundServer, user: str = USER) -> None:
    page.goto(server.url)
    page.locator("#users").get_by_role("link", name=user, exact=True).click()
    page.wait_for_url(re.compile(rf"/users/{user}$"))


def _numbers(cells: list[str]) -> list[float]:
    return [float(cell) for cell in cells]


def test_users_page_lists_the_demo_user_with_counts(
    page: Any, server: BackgroundServer, memory: Memory, screenshots: Path
) -> None:
    response = page.goto(server.url)
    assert response.status == 200
    row = page.locator("#users tr[data-user='ada'] td")
    cells = row.all_inner_texts()
    facts = len(search_all(memory.store, ("profile", USER)))
    episodes = len(search_all(memory.store, ("episodes", USER)))
    lessons = len(search_all(memory.store, ("lessons", USER)))
    turns = sum(info.message_count for info in memory.sessions(USER))
    assert cells[0] == "ada"
    assert _numbers(cells[1:7]) == [facts, episodes, turns, lessons, 0, 3]
    assert (facts, episodes, lessons, turns) == (6, 3, 1, 26)  # what the demo writes
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", cells[7])
    page.set_viewport_size({"width": 1100, "height": 260})
    page.screenshot(path=str(screenshots / "ui-users.png"))


def test_a_user_page_shows_profile_episodes_lessons_and_archive(
    page: Any, server: BackgroundServer, memory: Memory, screenshots: Path
) -> None:
    _open_user(page, server)
    facts = {
        row.get_attribute("data-category"): row.locator("td.value").inner_text()
        for row in page.locator("#profile tr.fact").all()
    }
    assert facts == {fact.category: fact.value for fact in memory.profile(USER)}
    assert facts["location"] == "Berlin"
    location = page.locator("#profile-history .history[data-category='location']")
    assert location.locator("li.superseded .value").all_inner_texts() == ["Lisbon"]
    assert location.locator("li.current .value").all_inner_texts() == ["Berlin"]
    episodes = page.locator("#episodes li.episode")
    assert episodes.count() == 3
    assert "tone " in episodes.first.inner_text()
    assert "thread " in episodes.first.inner_text()
    lesson = page.locator("#lessons tr.lesson")
    assert lesson.count() == 1
    assert "convert_currency" in lesson.inner_text()
    assert lesson.locator("td").nth(4).inner_text() == "1\u00d7"  # helped once
    page.screenshot(path=str(screenshots / "ui-user.png"))
    sessions = page.locator("#archive details.session")
    assert sorted(s.get_attribute("data-session") for s in sessions.all()) == [
        "friday",
        "monday",
        "sunday",
    ]
    monday = page.locator("#archive details[data-session='monday']")
    monday.locator("summary").click()
    assert monday.get_by_text("My sloop is called Maresia", exact=False).is_visible()
    page.screenshot(path=str(screenshots / "ui-user-full.png"), full_page=True)


def test_correcting_a_fact_makes_a_new_version_and_keeps_the_old_value(
    page: Any, server: BackgroundServer, memory: Memory
) -> None:
    before = memory.profile(USER)
    assert before.value("role") == "data scientist"
    _open_user(page, server)
    row = page.locator("#profile tr.fact[data-category='role']")
    row.get_by_label("new value of role").fill("ML engineer")
    row.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r"notice="))
    assert "role changed" in page.locator("#notice").inner_text()
    assert page.locator("#profile tr.fact[data-category='role'] td.value").inner_text() == (
        "ML engineer"
    )
    history = page.locator("#profile-history .history[data-category='role']")
    assert history.locator("li.superseded .value").all_inner_texts() == ["data scientist"]
    assert history.locator("li.current .value").all_inner_texts() == ["ML engineer"]
    after = memory.profile(USER)
    assert after.value("role") == "ML engineer"
    assert after.version == before.version + 1
    old = [f for f in memory.profile_history(USER) if f.value == "data scientist"]
    assert len(old) == 1
    assert old[0].valid_to is not None
    assert old[0].version_to == after.version


def test_rolling_back_the_profile_is_a_new_version(
    page: Any, server: BackgroundServer, memory: Memory
) -> None:
    version = memory.profile(USER).version
    first_location = next(f for f in memory.profile_history(USER) if f.category == "location")
    _open_user(page, server)
    page.locator("#rollback select").select_option(str(first_location.version_from))
    page.locator("#rollback").get_by_role("button").click()
    page.wait_for_url(re.compile(r"notice="))
    assert memory.profile(USER).version == version + 1
    assert memory.profile(USER).value("location") == first_location.value == "Lisbon"
    assert page.locator("#profile tr.fact[data-category='location'] td.value").inner_text() == (
        "Lisbon"
    )
    memory.rollback_profile(USER, version)  # back to where the other tests expect it


def test_search_shows_where_each_result_came_from_and_its_score_parts(
    page: Any, server: BackgroundServer
) -> None:
    _open_user(page, server)
    page.get_by_role("link", name="Search this user's memory").click()
    page.get_by_label("Search memories and archive").fill("what is the name of her sloop")
    page.locator("#search-form").get_by_role("button").click()
    hit = page.locator("li.hit", has_text="My sloop is called Maresia").first
    assert hit.is_visible()
    meta = hit.locator("p.meta").inner_text()
    assert meta.startswith("archive / ada / monday")
    assert "thread monday" in meta
    rows = hit.locator("table.score tr")
    heads = rows.first.locator("th").all_inner_texts()[1:]
    points = _numbers(rows.nth(1).locator("td").all_inner_texts())
    assert heads[0] == "rank score"
    assert {"dense", "lexical", "context", "recency"} <= set(heads)
    assert heads[-2:] == ["raw bm25", "raw similarity"]
    parts = points[1:-2]
    assert len(parts) == 8
    assert all(p >= 0 for p in parts)
    assert abs(sum(parts) - points[0]) <= 0.0005 * 9  # the points add up to the score
    assert points[-1] > 0.25  # a real dense match (recall's gate on raw similarity)
    relevance = hit.locator("p.relevance").inner_text()
    assert relevance == f"relevance {points[-1]:.3f}"  # the shown score is the raw similarity


def test_what_the_agent_would_see_is_the_exact_recall_context(
    page: Any, server: BackgroundServer, memory: Memory
) -> None:
    message = "What is my boat called?"
    page.goto(server.url + "search?user=ada")
    page.get_by_label("What the agent would see for the message").fill(message)
    page.locator("#agent-form").get_by_role("button").click()
    expected = memory.recall_context(USER, message)
    assert "Maresia" in expected
    shown = page.locator("#agent-context").inner_text()
    assert shown == expected
    tokens = count_tokens([SystemMessage(expected)])
    assert page.locator("#agent-tokens").inner_text() == str(tokens)


def test_forgetting_one_memory_removes_it_from_page_and_store(
    page: Any, server: BackgroundServer, memory: Memory
) -> None:
    memory.store.put(("memories", USER), "kayak", {"content": "Ada rents a red kayak"})
    memory.store.put(("memories", USER), "keep", {"content": "Ada reads Saramago"})
    _open_user(page, server)
    note = page.locator("#notes li.note[data-key='kayak']")
    assert note.inner_text().startswith("Ada rents a red kayak")
    note.get_by_role("button", name="Forget").click()
    page.wait_for_url(re.compile(r"notice=memory\+forgotten"))
    assert page.locator("#notes li.note[data-key='kayak']").count() == 0
    assert page.get_by_text("Ada rents a red kayak").count() == 0
    assert page.locator("#notes li.note[data-key='keep']").count() == 1
    assert memory.store.get(("memories", USER), "kayak") is None
    assert memory.store.get(("memories", USER), "keep") is not None
    memory.store.delete(("memories", USER), "keep")


def test_forgetting_an_archived_turn_from_search_results(
    page: Any, server: BackgroundServer, memory: Memory
) -> None:
    page.goto(server.url + "search?user=ada&q=Neovim")
    hit = page.locator("li.hit", has_text="Python and Neovim").first
    key = hit.get_attribute("data-key")
    assert memory.store.get(("archive", USER, "monday"), key) is not None
    hit.get_by_role("button", name="Forget").click()
    page.wait_for_url(re.compile(r"/search\?.*notice="))
    assert page.locator(f"li.hit[data-key='{key}']").count() == 0
    assert memory.store.get(("archive", USER, "monday"), key) is None


def test_a_memory_holding_a_script_tag_renders_as_text(
    page: Any, server: BackgroundServer, memory: Memory
) -> None:
    payload = "<script>alert(1)</script><img src=x onerror=alert(2)> sails at dawn"
    memory.store.put(("memories", USER), "xss", {"content": payload})
    try:
        _open_user(page, server)
        note = page.locator("#notes li.note[data-key='xss'] .content")
        assert note.inner_text() == payload
        assert page.locator("#notes script, #notes img").count() == 0
        page.goto(server.url + "search?" + "user=ada&q=sails+at+dawn&message=sails+at+dawn")
        assert page.locator("li.hit[data-key='xss'] .content").inner_text() == payload
        assert page.locator("main script, main img").count() == 0
        assert page.dialogs == []  # no alert ran
    finally:
        memory.store.delete(("memories", USER), "xss")


def test_tasks_show_with_their_status_history_and_can_be_forgotten(
    page: Any, server: BackgroundServer, memory: Memory
) -> None:
    task = memory.tasks.add(USER, "book the ferry to Horta", due="2031-07-01", priority="high")
    memory.tasks.update(USER, task.id, status="in_progress")
    _open_user(page, server)
    row = page.locator(f"#tasks tr.task[data-key='{task.id}']")
    cells = row.locator("td").all_inner_texts()
    assert cells[:5] == ["book the ferry to Horta", "in_progress", cells[2], "high", "api"]
    assert cells[2].startswith("2031-07-01")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d open → \d{4}-\d\d-\d\d in_progress", cells[5])
    row.get_by_role("button", name="Forget").click()
    page.wait_for_url(re.compile(r"notice=memory\+forgotten"))
    assert page.locator(f"#tasks tr.task[data-key='{task.id}']").count() == 0
    assert task.id not in {t.id for t in memory.tasks.list(USER)}


def test_forgetting_a_user_needs_the_typed_user_id(
    page: Any, server: BackgroundServer, memory: Memory
) -> None:
    memory.ingest(
        [HumanMessage("Hi, I'm Bob and I live in Porto."), AIMessage("Hello Bob!")],
        user_id="bob",
        thread_id="bob-1",
    )
    assert "bob" in {u.user_id for u in list_users(memory)}
    _open_user(page, server, "bob")
    page.get_by_role("link", name="Forget this user…").click()
    assert "forget 'bob': would remove" in page.locator("#forget-preview").inner_text()
    page.get_by_label("Type the user id").fill("bo")
    page.get_by_role("button", name="Forget this user for good").click()
    assert "type the user id 'bob' exactly" in page.locator("#error").inner_text()
    assert "bob" in {u.user_id for u in list_users(memory)}
    page.go_back()
    page.get_by_label("Type the user id").fill("bob")
    page.get_by_role("button", name="Forget this user for good").click()
    page.wait_for_url(re.compile(r"notice=forgot"))
    assert page.locator("#users tr[data-user='bob']").count() == 0
    assert page.locator("#users tr[data-user='ada']").count() == 1
    assert "bob" not in {u.user_id for u in list_users(memory)}


def test_forgetting_a_user_named_like_a_kind_leaves_every_other_users_items(
    page: Any, server: BackgroundServer, memory: Memory
) -> None:
    """User ``memories`` (a namespace kind) and user ``1`` whose project names it."""
    victim, other = "memories", "1"
    memory.ingest(
        [HumanMessage("I'm M and I live in Faro."), AIMessage("Hi M")],
        user_id=victim,
        thread_id=other,  # the victim's session id is the other user's id
    )
    memory.store.put(("memories", victim), "n", {"content": "the victim's note"})
    memory.store.put(("memories", other), "n", {"content": "user 1's note"})
    memory.store.put(("projects", other, victim), "p", {"content": "user 1's project"})
    lessons = memory.reflect_on("convert money", "Error: ISO codes", user_id=other, agent_id=victim)
    assert lessons is not None

    def victims(namespace: tuple[str, ...]) -> bool:  # the rule: position 1, no agent kind
        return namespace[1:2] == (victim,) and namespace[0] != "agent_lessons"

    kept = {
        (r.namespace, r.key): r
        for r in memory.store.dump()
        if not victims(r.namespace) and r.namespace != ("session_owners",)
    }
    assert ("agent_lessons", victim) in {ns for ns, _ in kept}  # the agent named like her
    _open_user(page, server, victim)
    page.get_by_role("link", name="Forget this user…").click()
    preview = page.locator("#forget-preview").inner_text()
    assert "memories/memories: 1" in preview
    assert "memories/1" not in preview
    assert "projects/1" not in preview
    page.get_by_label("Type the user id").fill(victim)
    page.get_by_role("button", name="Forget this user for good").click()
    page.wait_for_url(re.compile(r"notice=forgot"))
    assert page.locator(f"#users tr[data-user='{victim}']").count() == 0
    assert page.locator(f"#users tr[data-user='{other}']").count() == 1
    after = {(r.namespace, r.key): r for r in memory.store.dump()}
    assert {k: r for k, r in after.items() if k[0] != ("session_owners",)} == kept
    assert memory.lessons(agent_id=victim)  # the agent's lessons are no user's
