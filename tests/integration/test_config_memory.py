"""``Memory.from_config`` and the CLI on real folders: backend, budgets, retention, sources."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, HumanMessage
from langgraph.graph import START, MessagesState, StateGraph

from langmem_plugin import Memory
from langmem_plugin.cli import main

DAY = 86_400.0


@pytest.fixture(autouse=True)
def _no_langmem_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "LANGMEM_PATH",
        "LANGMEM_RECALL_TOKENS",
        "LANGMEM_RETENTION_NOTES_DAYS",
        "LANGMEM_REDACT",
        "LANGMEM_AUDIT_RECALLS",
    ):
        monkeypatch.delenv(name, raising=False)


def _records(memory: object) -> dict[tuple[tuple[str, ...], str], object]:
    return {(r.namespace, r.key): r for r in memory.store.dump()}  # type: ignore[attr-defined]


def test_from_config_opens_the_configured_folder_with_its_budgets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "langmem.toml").write_text(
        'path = "store/memory"\nworking_memory_tokens = 3000\nrecall_tokens = 600\n'
    )
    work = tmp_path / "src" / "app"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    with Memory.from_config() as memory:
        assert memory.path == (tmp_path / "store" / "memory").resolve()
        assert (memory.path / "checkpoints.sqlite").is_file()
        options = memory._memory_options
        assert (options.working_memory_tokens, options.recall_tokens) == (3000, 600)
        assert memory.config.sources["recall_tokens"] == f"file {tmp_path / 'langmem.toml'}"
    monkeypatch.setenv("LANGMEM_RECALL_TOKENS", "700")
    other = tmp_path / "other"
    with Memory.from_config(directory=other, working_memory_tokens=2500) as memory:
        assert memory.path == other
        options = memory._memory_options
        assert (options.working_memory_tokens, options.recall_tokens) == (2500, 700)
        assert memory.config.sources["path"] == "argument"
        assert memory.config.sources["recall_tokens"] == "env LANGMEM_RECALL_TOKENS"


def test_retention_days_become_store_ttls_per_kind_that_reads_do_not_extend(
    tmp_path: Path,
) -> None:
    (tmp_path / "langmem.toml").write_text(
        'path = "m"\n[retention]\nnotes_days = 2\nlessons_days = 0.5\nepisodes_days = "forever"\n'
    )
    with Memory.from_config(tmp_path / "langmem.toml") as memory:
        store = memory.store
        store.put(("memories", "ada"), "tea", {"content": "Ada drinks green tea"})
        store.put(("lessons", "ada"), "retry", {"content": "retry the flaky API once"})
        store.put(("episodes", "ada"), "e1", {"content": "talked about tea"})
        store.put(("profile", "ada"), "city", {"content": "Lisbon"})
        store.put(("memories", "ada"), "own", {"content": "an explicit TTL wins"}, ttl=10)
        records = _records(memory)
        note = records[("memories", "ada"), "tea"]
        assert note.ttl == 2 * 1440
        assert note.expires_at == pytest.approx(note.updated_at + 2 * DAY)
        assert records[("lessons", "ada"), "retry"].ttl == 0.5 * 1440
        assert records[("episodes", "ada"), "e1"].ttl is None
        assert records[("profile", "ada"), "city"].ttl is None
        assert records[("memories", "ada"), "own"].ttl == 10
        store.search(("memories", "ada"), query="tea")
        store.get(("memories", "ada"), "tea")
        assert _records(memory)[("memories", "ada"), "tea"].expires_at == note.expires_at


def test_expired_notes_disappear_and_idle_conversations_are_cleaned_up(tmp_path: Path) -> None:
    (tmp_path / "langmem.toml").write_text(
        'path = "m"\n[retention]\nnotes_days = 0.00001\nhistory_days = 0.00001\n'
    )  # 0.86 seconds
    with Memory.from_config(tmp_path / "langmem.toml") as memory:
        memory.store.put(("memories", "ada"), "tea", {"content": "Ada drinks green tea"})
        memory.store.put(("settings", "ada"), "city", {"content": "Lisbon"})
        memory.ingest(
            [HumanMessage("I live in Lisbon"), AIMessage("Noted")], user_id="ada", thread_id="t1"
        )
        builder = StateGraph(MessagesState)
        builder.add_node("echo", lambda state: {"messages": [AIMessage("echo")]})
        builder.add_edge(START, "echo")
        graph = memory.compile(builder)
        graph.invoke({"messages": [HumanMessage("hi")]}, {"configurable": {"thread_id": "t2"}})
        assert [s.session_id for s in memory.sessions("ada")] == ["t1"]
        time.sleep(1.0)
        assert memory.store.get(("memories", "ada"), "tea") is None  # expired: invisible
        report = memory.enforce_retention()
        assert report.expired_items == 1
        assert report.conversations.sessions == ["t1"]
        assert report.conversations.threads == ["t2"]
        assert memory.sessions("ada") == []
        assert memory.store.get(("settings", "ada"), "city") is not None  # no retention
    with Memory.from_path(tmp_path / "m") as reopened:  # without the config
        labels = {r.namespace[0] for r in reopened.store.dump()}
        assert "settings" in labels
        assert "profile" in labels  # the facts ingest extracted: no retention for them
        assert not labels & {"memories", "archive", "sessions"}
        assert list(reopened.checkpointer.list(None)) == []
        assert reopened.enforce_retention().conversations.sessions == []  # keeps everything


def test_the_cli_uses_the_config_file_when_no_path_is_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "langmem.toml").write_text('path = "kept"\nrecall_tokens = 640\n')
    monkeypatch.chdir(tmp_path)
    assert main(["stats"]) == 2  # must exist: the configured folder is named
    assert "kept" in capsys.readouterr().err
    with Memory.from_config() as memory:
        memory.store.put(("memories", "ada"), "tea", {"content": "Ada drinks green tea"})
    assert main(["stats", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["memories"] == {"memories": 1}
    monkeypatch.setenv("LANGMEM_RECALL_TOKENS", "700")
    assert main(["config"]) == 0
    out = capsys.readouterr().out
    assert f"# configuration file: {tmp_path / 'langmem.toml'}" in out
    assert f'path = "{tmp_path / "kept"}"  # file {tmp_path / "langmem.toml"}' in out
    assert "recall_tokens = 700  # env LANGMEM_RECALL_TOKENS" in out
    assert 'notes_days = "forever"  # default' in out
    assert main(["retention"]) == 0
    assert "deleted 0 expired items" in capsys.readouterr().out
    (tmp_path / "langmem.toml").write_text('path = "kept"\n[retention]\nnotes_days = -1\n')
    assert main(["stats"]) == 2
    err = capsys.readouterr().err
    assert "'retention.notes_days'" in err
    assert str(tmp_path / "langmem.toml") in err


@pytest.mark.server
@pytest.mark.postgres
def test_from_config_opens_a_chroma_server_with_postgresql(
    tmp_path: Path, chroma_url: str, fresh_postgres_url: str
) -> None:
    (tmp_path / "langmem.toml").write_text(
        f'chroma_url = "{chroma_url}"\ncheckpoint_url = "{fresh_postgres_url}"\n'
        "[retention]\nnotes_days = 1\n"
    )
    with Memory.from_config(tmp_path / "langmem.toml") as memory:
        assert memory.path is None
        assert repr(memory).endswith("checkpoints=postgres)")
        memory.store.put(("memories", "ada"), "tea", {"content": "Ada drinks green tea"})
        assert _records(memory)[("memories", "ada"), "tea"].ttl == 1440
        assert type(memory.checkpointer).__name__ == "PostgresSaver"


def test_privacy_and_audit_keys_open_a_redacted_encrypted_audited_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from langmem_plugin.errors import EncryptionKeyError

    (tmp_path / "langmem.toml").write_text(
        'path = "m"\nredact = true\nencryption_key_env = "APP_MEMORY_KEY"\n'
        "[audit]\nrecalls = true\nretention_days = 30\n"
    )
    monkeypatch.setenv("APP_MEMORY_KEY", "correct horse battery staple")
    monkeypatch.delenv("LANGMEM_ENCRYPTION_KEY", raising=False)
    token = "quokkazebra"
    with Memory.from_config(tmp_path / "langmem.toml") as memory:
        memory.ingest(
            [HumanMessage(f"My {token} tour is booked, write to ada@example.org")],
            user_id="ada",
            thread_id="t1",
        )
        memory.flush()
        context = memory.recall_context("ada", f"when is the {token} tour?")
        assert "[EMAIL]" in context
        assert "ada@example.org" not in context
        operations = {event.operation for event in memory.audit("ada")}
        assert {"put", "recall"} <= operations
        assert memory.config.sources["redact"] == f"file {tmp_path / 'langmem.toml'}"
    scanned = b"".join(p.read_bytes() for p in (tmp_path / "m").rglob("*") if p.is_file())
    assert token.encode() not in scanned  # encrypted at rest with the key from APP_MEMORY_KEY
    assert b"ada@example.org" not in scanned
    monkeypatch.delenv("APP_MEMORY_KEY")
    with pytest.raises(EncryptionKeyError):
        Memory.from_config(tmp_path / "langmem.toml")


def test_redact_and_audit_recalls_follow_langmem_environment_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANGMEM_REDACT", "true")
    monkeypatch.setenv("LANGMEM_AUDIT_RECALLS", "true")
    with Memory.from_config(directory=tmp_path / "m") as memory:
        assert memory.config.sources["audit.recalls"] == "env LANGMEM_AUDIT_RECALLS"
        memory.ingest([HumanMessage("call me on +1 415 555 0100")], user_id="bo", thread_id="t")
        memory.flush()
        stored = [item.value["content"] for item in memory.store.search(("archive", "bo", "t"))]
        assert stored
        assert all("555" not in text and "[PHONE]" in text for text in stored)
        memory.recall_context("bo", "what is my phone number?")
        assert "recall" in {event.operation for event in memory.audit("bo")}
