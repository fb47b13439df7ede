"""The command line's ``--embeddings`` flag: parsed anywhere, passed to the memory it opens."""

from __future__ import annotations

from pathlib import Path

import pytest

from langmem_plugin.cli import build_parser, main
from langmem_plugin.cli._ops import _configured


def test_flag_is_accepted_before_and_after_the_command() -> None:
    parser = build_parser()
    assert parser.parse_args(["--embeddings", "local:mpnet", "stats"]).embeddings == "local:mpnet"
    assert parser.parse_args(["stats", "--embeddings", "local:mpnet"]).embeddings == "local:mpnet"
    assert parser.parse_args(["stats"]).embeddings is None


def test_flag_overrides_the_configuration_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "langmem.toml").write_text('embeddings = "local"\n')
    monkeypatch.chdir(tmp_path)
    args = build_parser().parse_args(["--embeddings", "local:mpnet", "stats"])
    loaded = _configured(args)
    assert loaded is not None
    assert loaded.config.embeddings == "local:mpnet"
    assert loaded.sources["embeddings"] == "argument"


def test_an_unknown_local_model_is_one_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from langmem_plugin import Memory

    Memory.from_path(tmp_path / "memory").close()
    code = main(["--path", str(tmp_path / "memory"), "--embeddings", "local:nope", "stats"])
    err = capsys.readouterr().err
    assert code != 0
    assert "local:nope" in err
    assert "'local:mpnet'" in err
    assert "Traceback" not in err
