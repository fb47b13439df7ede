"""Episodes: stable keys, consolidation (merge near-duplicates, decay), never lost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from langmem_plugin.nodes.episodes import Episode, EpisodeStore
from tests.unit.nodes_support import FeatureHost

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def episode(summary: str, *, days_ago: float, importance: float, thread: str) -> Episode:
    when = (NOW - timedelta(days=days_ago)).isoformat()
    return Episode(
        summary=summary,
        started_at=when,
        ended_at=when,
        thread_id=thread,
        message_ids=[f"{thread}-m"],
        importance=importance,
    )


@pytest.fixture
def episodes() -> EpisodeStore:
    return EpisodeStore(FeatureHost().store)


def test_same_thread_and_messages_give_the_same_key(episodes: EpisodeStore) -> None:
    first = episodes.write(
        "u", episode("Talked about Lisbon.", days_ago=1, importance=0.5, thread="t")
    )
    again = episodes.write(
        "u", episode("Talked about Lisbon!", days_ago=1, importance=0.5, thread="t")
    )
    assert first == again
    assert len(episodes.list("u")) == 1


def test_empty_summary_is_rejected_naming_the_thread(episodes: EpisodeStore) -> None:
    with pytest.raises(ValueError, match="'t9'"):
        episodes.write("u", episode("  ", days_ago=0, importance=0.5, thread="t9"))


def test_consolidation_merges_near_duplicates_and_archives_decayed(episodes: EpisodeStore) -> None:
    episodes.write(
        "u",
        episode(
            "Ada planned her sailing trip to the Azores in July.",
            days_ago=2,
            importance=0.4,
            thread="a",
        ),
    )
    episodes.write(
        "u",
        episode(
            "Ada planned her sailing trip to the Azores in July!",
            days_ago=1,
            importance=0.8,
            thread="b",
        ),
    )
    episodes.write(
        "u", episode("Small talk about the weather.", days_ago=200, importance=0.3, thread="c")
    )
    episodes.write(
        "u",
        episode(
            "Ada's thesis defence on protein folding is next week.",
            days_ago=3,
            importance=0.9,
            thread="d",
        ),
    )
    result = episodes.consolidate("u", now=NOW)
    assert result == {"merged": 1, "archived": 1}
    live = {i.value["thread_id"]: i.value for i in episodes.list("u")}
    assert set(live) in ({"a", "d"}, {"b", "d"})
    survivor = next(v for t, v in live.items() if t in "ab")
    assert survivor["importance"] == 0.8
    assert len(survivor["merged_from"]) == 1
    assert sorted(survivor["message_ids"]) == ["a-m", "b-m"]
    archived = {i.value["thread_id"]: i.value for i in episodes.list("u", archived=True)}
    assert set(archived) == {"c"} | ({"a", "b"} - set(live))
    assert archived["c"]["archived_reason"] == "decayed"
    # never lost: archived episodes stay searchable
    hits = episodes.store.search(("episodes_archive", "u"), query="weather chat")
    assert hits[0].value["thread_id"] == "c"


def test_consolidation_is_per_user(episodes: EpisodeStore) -> None:
    for user in ("u", "v"):
        episodes.write(
            user,
            episode("Same words in two accounts.", days_ago=1, importance=0.5, thread=f"{user}-t"),
        )
    assert episodes.consolidate("u", now=NOW) == {"merged": 0, "archived": 0}
    assert len(episodes.list("v")) == 1
