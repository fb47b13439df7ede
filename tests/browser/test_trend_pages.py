"""The trends page (a user's mood and topics over time) and the health page, in Chromium.

Charts are inline SVG drawn on the server: the tests check they render as images with
their titles under the inspector's CSP (no script, no inline style: a blocked style or
script would be a console error), that hostile text stays text, and that the figures
shown are the API's.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from langmem_plugin.memory import Memory
from langmem_plugin.nodes.episodes import Episode, EpisodeStore
from langmem_plugin.nodes.profile import FactProposal, ProfileStore
from langmem_plugin.ui import BackgroundServer

USER = "tess"  # a user of her own: the demo's ada has sessions of today
START = datetime(2026, 1, 5, tzinfo=UTC)
TOPICS = [
    ["hiking"],
    ["hiking"],
    ["hiking", "<b>bold</b>"],
    ["painting"],
    ["painting"],
    ["painting"],
]


def add_history(memory: Memory) -> None:
    episodes = EpisodeStore(memory.store)
    for n, topics in enumerate(TOPICS):
        when = (START + timedelta(days=7 * n)).isoformat()
        episodes.write(
            USER,
            Episode(
                summary=f"trend session {n}",
                topics=topics,
                sentiment=round(0.5 - 0.2 * n, 2),
                sentiment_turns=1,
                started_at=when,
                ended_at=when,
                thread_id=f"trend-{n}",
            ),
        )
    profiles = ProfileStore(memory.store)
    profiles.apply(
        USER, [FactProposal(category="favorite_drink", value="coffee")], source="rules", at=START
    )
    profiles.apply(
        USER,
        [FactProposal(category="favorite_drink", value="green tea")],
        source="rules",
        at=START + timedelta(days=21),
    )


def errors_of(page: Any) -> list[str]:
    found: list[str] = []

    def console(message: Any) -> None:
        url = (message.location or {}).get("url", "")
        if message.type == "error" and not url.endswith("/favicon.ico"):  # no icon: a 404
            found.append(f"{message.text} {url}")

    page.on("console", console)
    page.on("pageerror", lambda e: found.append(str(e)))
    return found


def test_trends_page_charts_mood_and_topics_and_lists_the_changes(
    page: Any, server: BackgroundServer, memory: Memory, screenshots: Path
) -> None:
    add_history(memory)
    errors = errors_of(page)
    page.goto(server.url + "users/" + USER)
    page.get_by_role("link", name="Trends and mood").click()
    page.wait_for_url(re.compile(r"/trends\?user=tess"))
    assert page.get_by_role("heading", name="Trends and mood of tess").is_visible()
    mood = page.locator("#mood-chart svg[role=img]")
    assert mood.locator("title").first.text_content() == "Mood per session"
    points = len(memory.mood(USER).points)
    assert mood.locator("circle.point").count() == points
    assert mood.bounding_box()["width"] > 300  # drawn, not collapsed by a blocked style
    topics = page.locator("#topic-chart svg[role=img]")
    assert topics.locator("g.series[data-series=painting]").count() == 1
    assert page.locator("#topic-trends tr.topic[data-direction=rising]").first.inner_text()
    rising = page.locator("#topic-trends tr.topic[data-direction=rising] td").first
    assert rising.inner_text() == "painting"
    change = page.locator("#preference-changes tr.change[data-kind=changed]")
    assert "green tea" in change.inner_text()
    assert "coffee" in change.inner_text()
    # a hostile topic is shown as text, never as markup
    assert page.locator("#topics b").count() == 0
    assert "<b>bold</b>" in page.locator("#topics").inner_text()
    assert errors == []
    page.screenshot(path=str(screenshots / "ui-trends.png"), full_page=True)


def test_trends_of_an_unknown_user_is_a_404_page(page: Any, server: BackgroundServer) -> None:
    response = page.goto(server.url + "trends?user=nobody-here")
    assert response.status == 404
    assert "unknown user" in page.locator("main").inner_text()


def test_health_page_shows_the_days_figures(
    page: Any, server: BackgroundServer, memory: Memory, screenshots: Path
) -> None:
    for query in ("hiking", "what do I drink?"):
        memory.recall_context(USER, query)
    errors = errors_of(page)
    page.goto(server.url)
    page.get_by_role("link", name="Health").click()
    page.wait_for_url(re.compile(r"/health"))
    charts = page.locator(".charts svg[role=img]")
    assert charts.count() == 6
    titles = charts.evaluate_all("s => s.map(x => x.querySelector('title').textContent)")
    assert titles == [
        "Live items over time",
        "Items created per day",
        "Recalls per day",
        "Recall latency per day",
        "Model calls per day",
        "Model tokens per day",
    ]
    today = memory.health(days=30).days[-1]
    row = page.locator(f"#health-days tr.day[data-day='{today.day}'] td")
    assert row.nth(3).inner_text() == str(today.recalls)
    assert today.recalls >= 2
    recall_bars = page.locator("#chart-recalls rect.bar")
    assert recall_bars.count() == 30
    assert float(recall_bars.last.get_attribute("height")) > 0
    page.get_by_label("Days").fill("7")
    page.get_by_role("button", name="Show").click()
    assert page.locator("#chart-recalls rect.bar").count() == 7
    assert errors == []
    page.screenshot(path=str(screenshots / "ui-health.png"), full_page=True)


def test_health_with_a_bad_day_count_says_so(page: Any, server: BackgroundServer) -> None:
    response = page.goto(server.url + "health?days=soon")
    assert response.status == 400
    assert "health:" in page.locator("main").inner_text()
