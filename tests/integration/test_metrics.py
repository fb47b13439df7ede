"""Prometheus metrics of a real Memory (embedded Chroma, SQLite), read as a scraper would.

Values are read from the text exposition, parsed with ``prometheus_client.parser``, so a
metric that renders wrongly fails here too. The inspector's ``/metrics`` is tested over
real HTTP in ``tests/browser/test_metrics_endpoint.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.runnables import RunnableConfig
from langgraph.graph import START, MessagesState, StateGraph
from prometheus_client.parser import text_string_to_metric_families

from langmem_plugin._metrics import render_metrics
from langmem_plugin.memory import Memory
from langmem_plugin.testing import ScriptedChatModel

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(memory: Memory) -> Samples:
    """Every sample of the memory's metrics, by name and sorted labels."""
    body, content_type = render_metrics(memory.metrics())
    assert content_type.startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def memory(tmp_path: Path) -> Iterator[Memory]:
    with Memory.from_path(tmp_path / "memory") as opened:
        opened.configure_memory(mode="inline")
        opened.metrics()
        yield opened


def session_answer(tokens_in: int, tokens_out: int) -> AIMessage:
    """A structured session answer, as a tool call, reporting its token usage."""
    args = {
        "episode": {"summary": "Ada said she moved to Porto."},
        "profile": {"facts": [{"action": "add", "category": "location", "value": "Porto"}]},
    }
    return AIMessage(
        "",
        tool_calls=[{"name": "SessionExtraction", "args": args, "id": "call-1"}],
        usage_metadata={
            "input_tokens": tokens_in,
            "output_tokens": tokens_out,
            "total_tokens": tokens_in + tokens_out,
        },
    )


def test_store_operations_are_counted_by_kind_and_archive_writes_apart(memory: Memory) -> None:
    before = scrape(memory)
    memory.store.put(("memories", "ada"), "n1", {"content": "Ada drinks green tea"})
    memory.store.put(("memories", "ada"), "n2", {"content": "Ada walks her dog"})
    memory.store.get(("memories", "ada"), "n1")
    memory.store.search(("memories", "ada"), query="tea")
    memory.store.delete(("memories", "ada"), "n2")
    memory.store.list_namespaces(prefix=("memories",))
    memory.history("chat-1", user_id="ada").add_messages([HumanMessage("hello"), AIMessage("hi")])
    after = scrape(memory)

    def grew(op: str) -> float:
        name = "langmem_store_ops_total"
        return value(after, name, op=op) - value(before, name, op=op)

    assert grew("put") >= 4  # two notes, two archived messages (and the session's claim)
    assert grew("get") >= 1
    assert grew("search") >= 1
    assert grew("delete") == 1
    assert grew("list_namespaces") >= 1
    assert (
        value(after, "langmem_archive_writes_total") - value(before, "langmem_archive_writes_total")
        == 2
    )
    batches = value(after, "langmem_store_batch_seconds_count")
    assert batches - value(before, "langmem_store_batch_seconds_count") >= 6
    assert value(after, "langmem_store_batch_seconds_sum") > 0


def test_recall_context_calls_and_latency(memory: Memory) -> None:
    memory.store.put(("memories", "ada"), "n1", {"content": "Ada drinks green tea"})
    assert value(scrape(memory), "langmem_recall_seconds_count") == 0
    assert "green tea" in memory.recall_context("ada", "what does Ada drink?")
    memory.recall_context("ada", "tea")
    samples = scrape(memory)
    assert value(samples, "langmem_recall_seconds_count") == 2
    assert value(samples, "langmem_recall_seconds_sum") > 0
    assert value(samples, "langmem_recall_seconds_bucket", le="+Inf") == 2


def test_the_recall_node_in_a_graph_is_timed_too(memory: Memory) -> None:
    memory.store.put(("memories", "ada"), "n1", {"content": "Ada drinks green tea"})
    builder = StateGraph(MessagesState)
    builder.add_node("recall", memory.nodes.recall)
    builder.add_edge(START, "recall")
    graph = memory.compile(builder)
    config: RunnableConfig = {"configurable": {"thread_id": "t1", "user_id": "ada"}}
    out = graph.invoke({"messages": [HumanMessage("what tea do I like?")]}, config)
    assert any("green tea" in m.text for m in out["messages"])
    assert value(scrape(memory), "langmem_recall_seconds_count") == 1


def test_pipeline_runs_llm_calls_and_tokens_per_session(tmp_path: Path) -> None:
    # the first run's call answers; the second run's call fails twice, so the rules write it
    model = ScriptedChatModel(
        script=[session_answer(1200, 300), ValueError("down"), ValueError("down again")]
    )
    with Memory.from_path(tmp_path / "m", llm=model) as memory:
        memory.metrics()
        first = memory.ingest(
            [HumanMessage("I moved to Porto last month.")], user_id="ada", thread_id="t1"
        )
        assert (first.source, first.tokens) == ("llm", 1500)
        second = memory.ingest(
            [HumanMessage("My name is Bob and I live in Lyon.")], user_id="bob", thread_id="t2"
        )
        assert (second.source, second.tokens) == ("rules", 0)
        samples = scrape(memory)
    assert value(samples, "langmem_pipeline_runs_total", source="llm") == 1
    assert value(samples, "langmem_pipeline_runs_total", source="rules") == 1
    assert value(samples, "langmem_llm_calls_total", purpose="session") == 3  # 1 + 2 attempts
    assert value(samples, "langmem_llm_tokens_total", purpose="session", kind="input") == 1200
    assert value(samples, "langmem_llm_tokens_total", purpose="session", kind="output") == 300
    assert value(samples, "langmem_pipeline_run_tokens_count") == 1  # the rules' run: none
    assert value(samples, "langmem_pipeline_run_tokens_sum") == 1500
    assert value(samples, "langmem_pipeline_run_tokens_bucket", le="2000.0") == 1
    assert value(samples, "langmem_pipeline_run_tokens_bucket", le="1000.0") == 0


def test_memory_size_per_user_follows_writes_and_forget(memory: Memory) -> None:
    for n in range(3):
        memory.store.put(("memories", "ada"), f"a{n}", {"content": f"ada note {n}"})
    memory.store.put(("memories", "bob"), "b0", {"content": "bob note"})
    # a namespace whose *deeper* label is "bob" is still ada's (namespace position 1 only)
    memory.store.put(("projects", "ada", "bob"), "p0", {"content": "project with bob"})
    memory.store.put(("agent_lessons", "carol"), "l0", {"content": "an agent's lesson"})
    samples = scrape(memory)
    assert value(samples, "langmem_memory_items", user="ada") == 4
    assert value(samples, "langmem_memory_items", user="bob") == 1
    assert ("langmem_memory_items", (("user", "carol"),)) not in samples  # an agent
    assert value(samples, "langmem_memory_users") == 2
    memory.forget_user("bob")
    samples = scrape(memory)
    assert ("langmem_memory_items", (("user", "bob"),)) not in samples
    assert value(samples, "langmem_memory_items", user="ada") == 4
    assert value(samples, "langmem_memory_users") == 1


def test_no_user_id_in_operation_metrics(memory: Memory) -> None:
    user = "user-7f3a"
    memory.store.put(("memories", user), "n", {"content": "secret-ish note"})
    memory.recall_context(user, "note")
    memory.ingest([HumanMessage("I live in Oslo.")], user_id=user, thread_id="thread-9c1")
    for family in text_string_to_metric_families(render_metrics(memory.metrics())[0].decode()):
        for sample in family.samples:
            shown = " ".join(sample.labels.values())
            if family.name == "langmem_memory_items":
                assert sample.labels == {"user": user}
            else:
                assert user not in shown, sample
                assert "thread-9c1" not in shown, sample


def test_index_lag_is_the_vectors_not_yet_in_hnsw(memory: Memory) -> None:
    memory.store._index.close(0)  # type: ignore[union-attr]  # stop the background sync
    for n in range(5):
        memory.store.put(("memories", "ada"), f"n{n}", {"content": f"note number {n}"})
    assert value(scrape(memory), "langmem_index_lag_vectors") == 5
    assert memory.store._index.run() == 5  # type: ignore[union-attr]
    assert value(scrape(memory), "langmem_index_lag_vectors") == 0


def test_two_memories_in_one_process_count_apart(tmp_path: Path) -> None:
    with Memory.from_path(tmp_path / "a") as a, Memory.from_path(tmp_path / "b") as b:
        assert a.metrics() is a.metrics()
        assert a.metrics() is not b.metrics()
        b_before = value(scrape(b), "langmem_store_ops_total", op="put")
        a.store.put(("memories", "ada"), "n", {"content": "only in a"})
        assert value(scrape(a), "langmem_store_ops_total", op="put") == 1
        assert value(scrape(b), "langmem_store_ops_total", op="put") == b_before
        assert value(scrape(b), "langmem_memory_users") == 0


def test_render_metrics_on_the_memory_is_the_registrys_text(memory: Memory) -> None:
    memory.store.put(("memories", "ada"), "n", {"content": "x"})
    body, content_type = memory.render_metrics()
    assert content_type == render_metrics(memory.metrics())[1]
    assert 'langmem_memory_items{user="ada"} 1.0' in body.decode()


def test_scraping_a_closed_memory_reports_no_store_figures(tmp_path: Path) -> None:
    memory = Memory.from_path(tmp_path / "m")
    registry = memory.metrics()
    memory.store.put(("memories", "ada"), "n", {"content": "x"})
    memory.close()
    families = {
        f.name for f in text_string_to_metric_families(render_metrics(registry)[0].decode())
    }
    assert "langmem_store_ops" in families
    assert "langmem_memory_items" not in families
