"""OpenTelemetry spans of a real Memory (embedded Chroma, SQLite), read from the SDK's exporter.

The SDK's ``InMemorySpanExporter`` behind a ``SimpleSpanProcessor`` holds every finished
span; ``set_tracer_provider`` points langmem's tracer at that provider for one test and back
to the global one (a no-op without an SDK) afterwards.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, HumanMessage
from langgraph.store.base import GetOp, PutOp, SearchOp
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from langmem_plugin._namespaces import user_namespace
from langmem_plugin._tracing import TRACER_NAME, set_tracer_provider, span
from langmem_plugin.errors import InvalidFilterError
from langmem_plugin.memory import Memory
from langmem_plugin.store import ChromaStore
from langmem_plugin.testing import ScriptedChatModel

USER = "ada.lovelace@example.org"
THREAD = "thread-4f1c9"
SECRET = "Ada keeps her spare key under the blue flowerpot"


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    found = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(found))
    set_tracer_provider(provider)
    yield found
    set_tracer_provider(None)
    provider.shutdown()


@pytest.fixture
def memory(tmp_path: Path) -> Iterator[Memory]:
    with Memory.from_path(tmp_path / "memory") as opened:
        opened.configure_memory(mode="inline")
        yield opened


def named(exporter: InMemorySpanExporter, name: str) -> list[ReadableSpan]:
    return [s for s in exporter.get_finished_spans() if s.name == name]


def session_answer() -> AIMessage:
    args = {
        "episode": {"summary": "Ada said she moved to Porto."},
        "profile": {"facts": [{"action": "add", "category": "location", "value": "Porto"}]},
    }
    return AIMessage(
        "",
        tool_calls=[{"name": "SessionExtraction", "args": args, "id": "call-1"}],
        usage_metadata={"input_tokens": 1200, "output_tokens": 300, "total_tokens": 1500},
    )


def test_store_batches_are_spans_with_their_operations_by_kind(
    memory: Memory, exporter: InMemorySpanExporter
) -> None:
    memory.store.put(("memories", "ada"), "n1", {"content": "green tea"})
    exporter.clear()
    memory.store.batch(
        [
            GetOp(("memories", "ada"), "n1"),
            GetOp(("memories", "ada"), "n2"),
            SearchOp(("memories", "ada"), query="tea"),
            PutOp(("memories", "ada"), "n3", {"content": "oolong"}),
            PutOp(("memories", "ada"), "n1", None),
        ]
    )
    (batch,) = named(exporter, "langmem.store.batch")
    assert batch.instrumentation_scope is not None
    assert batch.instrumentation_scope.name == TRACER_NAME
    assert dict(batch.attributes or {}) == {
        "langmem.store.ops": 5,
        "langmem.store.get": 2,
        "langmem.store.search": 1,
        "langmem.store.put": 1,
        "langmem.store.delete": 1,
    }
    assert batch.status.status_code is StatusCode.UNSET


def test_async_batches_are_spans_too(tmp_path: Path, exporter: InMemorySpanExporter) -> None:
    async def run() -> None:
        async with ChromaStore(path=tmp_path / "store") as store:
            await store.aput(("memories", "ada"), "n1", {"content": "green tea"})
            assert await store.aget(("memories", "ada"), "n1") is not None

    asyncio.run(run())
    batches = named(exporter, "langmem.store.batch")
    assert [dict(s.attributes or {}) for s in batches] == [
        {"langmem.store.ops": 1, "langmem.store.put": 1},
        {"langmem.store.ops": 1, "langmem.store.get": 1},
    ]


def test_recall_is_a_span_whose_store_batches_are_its_children(
    memory: Memory, exporter: InMemorySpanExporter
) -> None:
    memory.store.put(("memories", "ada"), "n1", {"content": "Ada drinks green tea"})
    exporter.clear()
    assert "green tea" in memory.recall_context("ada", "what does Ada drink?")
    (recall,) = named(exporter, "langmem.recall")
    attributes = dict(recall.attributes or {})
    assert attributes["langmem.recall.notes"] == 1
    assert attributes["langmem.recall.chars"] > len("Ada drinks green tea")
    assert set(attributes) >= {"langmem.recall.facts", "langmem.recall.turns"}
    children = [
        s
        for s in named(exporter, "langmem.store.batch")
        if s.parent is not None
        and recall.context is not None
        and s.parent.span_id == recall.context.span_id
    ]
    assert children, "recall's store batches nest under its span"
    assert all(c.context.trace_id == recall.context.trace_id for c in children)  # type: ignore[union-attr]


def test_spans_nest_under_the_applications_own_span(
    memory: Memory, exporter: InMemorySpanExporter
) -> None:
    with span("app.request") as outer:
        memory.recall_context("ada", "anything")
    (recall,) = named(exporter, "langmem.recall")
    assert recall.parent is not None
    assert recall.parent.span_id == outer.get_span_context().span_id


def test_pipeline_runs_are_spans_with_source_tokens_and_counts(
    tmp_path: Path, exporter: InMemorySpanExporter
) -> None:
    model = ScriptedChatModel(script=[session_answer()])
    with Memory.from_path(tmp_path / "m", llm=model) as memory:
        memory.ingest([HumanMessage("I moved to Porto last month.")], user_id="ada", thread_id="t1")
        memory.ingest([HumanMessage("My name is Bob.")], user_id="bob", thread_id="t2")
    runs = [dict(s.attributes or {}) for s in named(exporter, "langmem.pipeline.run")]
    assert len(runs) == 2
    llm, rules = runs
    assert llm["langmem.pipeline.source"] == "llm"
    assert llm["langmem.pipeline.tokens"] == 1500
    assert llm["langmem.pipeline.facts_added"] == 1
    assert llm["langmem.pipeline.episode"] is True
    assert llm["langmem.pipeline.messages"] == 1
    assert rules["langmem.pipeline.source"] == "rules"  # the script ran out: the rules wrote it
    assert rules["langmem.pipeline.tokens"] == 0


def test_forget_export_and_import_are_spans_with_counts(
    memory: Memory, tmp_path: Path, exporter: InMemorySpanExporter
) -> None:
    for n in range(3):
        memory.store.put(("memories", "bob"), f"b{n}", {"content": f"bob likes chess {n}"})
    memory.store.put(("memories", "ada"), "a0", {"content": "ada likes tea"})
    buffer = io.StringIO()
    memory.export(buffer)
    (export,) = named(exporter, "langmem.export")
    assert dict(export.attributes or {})["langmem.transfer.items"] == 4
    memory.forget("ada", query="tea", dry_run=True)
    (query,) = named(exporter, "langmem.forget_query")
    assert dict(query.attributes or {})["langmem.forget.matched.memory"] == 1
    assert dict(query.attributes or {})["langmem.forget.dry_run"] is True
    memory.forget_user("bob")
    (forget,) = named(exporter, "langmem.forget_user")
    assert dict(forget.attributes or {})["langmem.forget.items"] == 3
    assert dict(forget.attributes or {})["langmem.forget.dry_run"] is False
    with Memory.from_path(tmp_path / "copy") as copy:
        buffer.seek(0)
        copy.import_from(buffer)
    (imported,) = named(exporter, "langmem.import")
    assert dict(imported.attributes or {})["langmem.transfer.items"] == 4


def test_no_content_user_or_thread_id_in_any_span(
    tmp_path: Path, exporter: InMemorySpanExporter
) -> None:
    model = ScriptedChatModel(script=[session_answer()])
    with Memory.from_path(tmp_path / "m", llm=model) as memory:
        memory.store.put(user_namespace("memories", USER), "n1", {"content": SECRET})
        memory.recall_context(USER, "where is the spare key?")
        memory.ingest([HumanMessage(SECRET)], user_id=USER, thread_id=THREAD)
        memory.forget(USER, query="flowerpot", dry_run=True)
        memory.export(io.StringIO())
        memory.forget_user(USER)
    spans = exporter.get_finished_spans()
    assert {"langmem.recall", "langmem.pipeline.run", "langmem.forget_user"} <= {
        s.name for s in spans
    }
    shown = " ".join(
        f"{s.name} {key} {value!s} {[e.name for e in s.events]}"
        for s in spans
        for key, value in (s.attributes or {}).items()
    )
    label = user_namespace("memories", USER)[1]
    for needle in (USER, label, "lovelace", THREAD, "flowerpot", "spare key", "memories", "n1"):
        assert needle not in shown


def test_a_failed_batch_records_the_error_type_not_its_message(
    memory: Memory, exporter: InMemorySpanExporter
) -> None:
    with pytest.raises(InvalidFilterError):
        memory.store.search(("memories", "ada"), filter={"secret": {"$regex": SECRET}})
    (batch,) = named(exporter, "langmem.store.batch")
    assert batch.status.status_code is StatusCode.ERROR
    assert batch.status.description is None
    assert dict(batch.attributes or {})["error.type"]
    assert not batch.events  # no exception event: its message may quote the value


def test_without_an_sdk_spans_do_not_record(memory: Memory) -> None:
    set_tracer_provider(None)  # the global provider: none configured in the test session
    with span("langmem.store.batch") as current:
        memory.store.put(("memories", "ada"), "n1", {"content": "green tea"})
    assert not current.is_recording()
    assert memory.store.get(("memories", "ada"), "n1") is not None
