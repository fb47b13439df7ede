"""The configuration file: discovery, precedence, sources and errors (no memory opened)."""

from __future__ import annotations

from pathlib import Path

import pytest

from langmem_plugin._config import find_config_file, load_config
from langmem_plugin.errors import ConfigError

FULL = """
path = "data/memory"
chroma_url = "http://127.0.0.1:8000"
checkpoint_url = "postgresql://me@127.0.0.1/db"
embeddings = "local"
llm = "openai:gpt-4o-mini"
working_memory_tokens = 3000
recall_tokens = 600

[retention]
history_days = 90
archive_days = 365
episodes_days = "forever"
notes_days = 30
lessons_days = 180.5
"""


def test_every_key_of_the_issue_is_read_from_langmem_toml(tmp_path: Path) -> None:
    (tmp_path / "langmem.toml").write_text(FULL)
    loaded = load_config(tmp_path / "langmem.toml", environ={})
    config = loaded.config
    assert config.path == str((tmp_path / "data" / "memory").resolve())  # relative to the file
    assert config.chroma_url == "http://127.0.0.1:8000"
    assert config.checkpoint_url == "postgresql://me@127.0.0.1/db"
    assert (config.embeddings, config.llm) == ("local", "openai:gpt-4o-mini")
    assert (config.working_memory_tokens, config.recall_tokens) == (3000, 600)
    retention = config.retention
    assert (retention.history_days, retention.archive_days) == (90, 365)
    assert retention.episodes_days is None  # forever
    assert (retention.notes_days, retention.lessons_days) == (30, 180.5)
    assert retention.namespace_ttl() == {
        "episodes_archive": 365 * 1440,
        "memories": 30 * 1440,
        "lessons": 180.5 * 1440,
        "agent_lessons": 180.5 * 1440,
    }
    assert loaded.sources["retention.notes_days"] == f"file {tmp_path / 'langmem.toml'}"
    assert loaded.sources.get("collection_prefix") is None  # a default


def test_the_file_is_found_from_the_working_directory_upward(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deep = tmp_path / "a" / "b" / "c"
    deep.mkdir(parents=True)
    (tmp_path / "langmem.toml").write_text("recall_tokens = 500\n")
    (tmp_path / "a" / "pyproject.toml").write_text("[project]\nname = 'x'\n")  # no [tool.langmem]
    monkeypatch.chdir(deep)
    assert find_config_file() == tmp_path / "langmem.toml"
    (tmp_path / "a" / "b" / "pyproject.toml").write_text(
        "[project]\nname = 'x'\n[tool.langmem]\nrecall_tokens = 700\n"
    )
    assert find_config_file() == tmp_path / "a" / "b" / "pyproject.toml"
    loaded = load_config(environ={})
    assert loaded.config.recall_tokens == 700
    assert loaded.file == tmp_path / "a" / "b" / "pyproject.toml"


def test_no_file_gives_the_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    loaded = load_config(environ={})
    assert loaded.file is None
    assert loaded.config.path is None
    assert loaded.config.recall_tokens == 800
    assert loaded.config.retention.namespace_ttl() == {}
    assert {source for _, _, source in loaded.items()} == {"default"}


def test_environment_overrides_the_file_and_arguments_override_both(tmp_path: Path) -> None:
    file = tmp_path / "langmem.toml"
    file.write_text(
        "recall_tokens = 500\nworking_memory_tokens = 2000\n[retention]\nnotes_days = 3\n"
    )
    environ = {
        "LANGMEM_RECALL_TOKENS": "900",
        "LANGMEM_WORKING_MEMORY_TOKENS": "2500",
        "LANGMEM_RETENTION_NOTES_DAYS": "forever",
        "LANGMEM_RETENTION_LESSONS_DAYS": "7",
        "LANGMEM_CHAT_MODEL": "not a config key",
    }
    loaded = load_config(
        file, environ=environ, overrides={"working_memory_tokens": 1234, "retention": None}
    )
    config = loaded.config
    assert config.recall_tokens == 900
    assert config.working_memory_tokens == 1234
    assert config.retention.notes_days is None
    assert config.retention.lessons_days == 7
    assert loaded.sources["recall_tokens"] == "env LANGMEM_RECALL_TOKENS"
    assert loaded.sources["working_memory_tokens"] == "argument"
    assert loaded.sources["retention.notes_days"] == "env LANGMEM_RETENTION_NOTES_DAYS"
    rendered = loaded.render()
    assert "recall_tokens = 900  # env LANGMEM_RECALL_TOKENS" in rendered
    assert 'notes_days = "forever"  # env LANGMEM_RETENTION_NOTES_DAYS' in rendered
    assert "working_memory_tokens = 1234  # argument" in rendered
    assert f"# configuration file: {file}" in rendered


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        ("recall_tokens = -5\n", "recall_tokens", "greater than 0"),
        ('recall_tokens = "many"\n', "recall_tokens", "valid integer"),
        ("[retention]\nnotes_days = 0\n", "retention.notes_days", "positive number of days"),
        ('[retention]\nnotes_days = "soon"\n', "retention.notes_days", '"forever"'),
        ("[retention]\nnote_days = 3\n", "retention.note_days", "unknown key"),
        ("recal_tokens = 3\n", "recal_tokens", "unknown key"),
    ],
)
def test_a_bad_value_gives_one_error_naming_the_key_and_the_file(
    tmp_path: Path, text: str, key: str, problem: str
) -> None:
    file = tmp_path / "langmem.toml"
    file.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(file, environ={})
    message = str(caught.value)
    assert f"'{key}'" in message
    assert str(file) in message
    assert problem in message


def test_a_bad_environment_value_names_the_variable(tmp_path: Path) -> None:
    (tmp_path / "langmem.toml").write_text("recall_tokens = 500\n")
    with pytest.raises(ConfigError, match=r"'recall_tokens' \(env LANGMEM_RECALL_TOKENS\)"):
        load_config(tmp_path / "langmem.toml", environ={"LANGMEM_RECALL_TOKENS": "lots"})


def test_invalid_toml_and_a_missing_file_are_reported(tmp_path: Path) -> None:
    bad = tmp_path / "langmem.toml"
    bad.write_text("recall_tokens = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad, environ={})
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "missing.toml", environ={})


def test_the_rendered_configuration_hides_passwords(tmp_path: Path) -> None:
    file = tmp_path / "langmem.toml"
    file.write_text('checkpoint_url = "postgresql://app:s3cret@db:5432/langgraph"\n')
    rendered = load_config(file, environ={}).render()
    assert 'checkpoint_url = "postgresql://app:***@db:5432/langgraph"' in rendered
    assert "s3cret" not in rendered


def test_privacy_audit_and_task_keys_become_memory_arguments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "langmem.toml"
    file.write_text(
        'redact = true\nencryption_key_env = "APP_KEY"\n'
        "[audit]\nrecalls = true\nretention_days = 30\n[retention]\ntasks_days = 60\n"
    )
    monkeypatch.setenv("APP_KEY", "s3cret passphrase")
    config = load_config(file, environ={}).config
    kwargs = config.memory_kwargs()
    assert kwargs["redact"] is True
    assert kwargs["encryption_key"] == "s3cret passphrase"
    assert (kwargs["audit_recalls"], kwargs["audit_retention_days"]) == (True, 30.0)
    assert config.retention.namespace_ttl() == {"tasks": 60 * 24 * 60}
    monkeypatch.delenv("APP_KEY")
    assert load_config(file, environ={}).config.memory_kwargs()["encryption_key"] is None
    bad = tmp_path / "bad.toml"
    bad.write_text('encryption_key = "s3cret"\n')
    with pytest.raises(ConfigError, match="encryption_key"):  # the key never goes in a file
        load_config(bad, environ={})


@pytest.mark.parametrize("with_file", [True, False])
def test_the_rendered_configuration_is_valid_toml_that_reads_back_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, with_file: bool
) -> None:
    import tomllib

    file = tmp_path / "conf" / "langmem.toml"
    file.parent.mkdir()
    file.write_text("redact = true\n" + FULL + "\n[audit]\nretention_days = 30\n")
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.chdir(empty)  # no file found from here (the case without a file)
    loaded = load_config(file if with_file else None, environ={})
    rendered = loaded.render()
    parsed = tomllib.loads(rendered)  # no "[]" header, no "(not set)" value
    assert "[]" not in rendered
    assert "(not set)" not in rendered
    again = tmp_path / "again" / "langmem.toml"
    again.parent.mkdir()
    again.write_text(rendered)
    assert load_config(again, environ={}).config == loaded.config
    if with_file:
        assert parsed["retention"]["notes_days"] == 30
        assert parsed["audit"]["retention_days"] == 30
        assert parsed["redact"] is True
        assert f"recall_tokens = 600  # file {file}" in rendered
    else:
        assert "path" not in parsed
        assert "# path = ...  # not set (default)" in rendered


@pytest.mark.parametrize(
    "value", ["local", "local:minilm", "local:mpnet", "openai:text-embedding-3-small"]
)
def test_embeddings_key_takes_local_models_and_providers(tmp_path: Path, value: str) -> None:
    (tmp_path / "langmem.toml").write_text(f'embeddings = "{value}"\n')
    loaded = load_config(tmp_path / "langmem.toml", environ={})
    assert loaded.config.embeddings == value
    assert loaded.config.memory_kwargs()["embeddings"] == value


def test_embeddings_key_names_an_unknown_local_model(tmp_path: Path) -> None:
    file = tmp_path / "langmem.toml"
    file.write_text('embeddings = "local:mpnet-large"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(file, environ={})
    message = str(caught.value)
    assert "'embeddings'" in message
    assert "local:mpnet-large" in message
    assert "'local:mpnet'" in message
