"""The store's on-disk layout: migration from the previous release, one process per folder.

``tests/data/store_layout_v0.tar.gz`` is a folder written by release 0.1.0's ChromaStore
(commit eb1219b, items in a ``langmem_items`` Chroma collection) with 32-dim
``HashEmbeddings``: ("memories", "ada") m1 "Ada keeps bees on the roof" (fact), m2 "Ada moved
to Porto" (event, updated from Lisbon), ("memories", "bob") m1 "Bob plays the cello" (fact),
("profile", "ada") name (index=False), and ("memories", "bob") gone, deleted.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import textwrap
import time
from pathlib import Path

import pytest

from langmem_plugin import ChromaStore
from langmem_plugin.errors import FolderInUseError
from tests._support import HashEmbeddings, langmem_command

DATA = Path(__file__).resolve().parents[1] / "data" / "store_layout_v0.tar.gz"
REPO = Path(__file__).resolve().parents[2]


def v0_folder(tmp_path: Path) -> Path:
    with tarfile.open(DATA) as archive:
        archive.extractall(tmp_path, filter="data")
    return tmp_path / "chroma"


def index() -> dict[str, object]:
    return {"dims": 32, "embed": HashEmbeddings(32), "fields": ["text"]}


def test_a_folder_of_the_previous_layout_is_migrated_on_first_open(tmp_path: Path) -> None:
    folder = v0_folder(tmp_path)
    with ChromaStore(path=folder, index=index()) as store:
        ada = store.get(("memories", "ada"), "m2")
        assert ada is not None
        assert ada.value == {"text": "Ada moved to Porto", "kind": "event"}
        assert ada.created_at < ada.updated_at  # kept from the first put, as before
        assert store.get(("memories", "bob"), "gone") is None
        assert store.list_namespaces() == [
            ("memories", "ada"),
            ("memories", "bob"),
            ("profile", "ada"),
        ]
        # insertion order survives: ada's namespace was written first, m1 before m2
        assert [(i.namespace[1], i.key) for i in store.search(("memories",))] == [
            ("ada", "m1"),
            ("ada", "m2"),
            ("bob", "m1"),
        ]
        assert [i.key for i in store.search(("memories",), filter={"kind": "fact"})] == [
            "m1",
            "m1",
        ]
        # the vectors written by the old release are still the items' vectors
        hits = store.search(("memories",), query="Ada keeps bees on the roof", limit=3)
        assert (hits[0].namespace, hits[0].key) == (("memories", "ada"), "m1")
        assert hits[0].score == pytest.approx(1.0, abs=1e-6)
        assert store.search(("memories",), query="Ada moved to Lisbon")[0].score < 1 - 1e-6
        assert "langmem_items" not in {c.name for c in store.client.list_collections()}
    with ChromaStore(path=folder, index=index()) as again:  # a second open changes nothing
        assert len(again.search((), limit=100)) == 4
        again.put(("memories", "ada"), "m3", {"text": "new after migration"})
        assert [i.key for i in again.search(("memories", "ada"))] == ["m1", "m2", "m3"]


HOLDER = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, {repo!r})
    from langmem_plugin import ChromaStore
    store = ChromaStore(path={folder!r})
    store.put(("ns",), "k", {{"v": 1}})
    print("open", flush=True)
    time.sleep(600)
    """
)

NOTEBOOK = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, {repo!r})
    from langmem_plugin.memory import Memory
    memory = Memory.from_path({folder!r})
    print("open", flush=True)
    time.sleep(600)
    """
)


def test_a_writing_cli_command_on_a_folder_a_notebook_has_open_says_how_to_share_it(
    tmp_path: Path,
) -> None:
    """Reading commands work beside the notebook (tests/integration/test_read_only.py)."""
    folder = tmp_path / "memory"
    code = NOTEBOOK.format(repo=str(REPO), folder=str(folder))
    notebook = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert notebook.stdout is not None
        assert notebook.stdout.readline().strip() == "open"
        result = subprocess.run(
            langmem_command("retention", "--path", str(folder)),
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        notebook.kill()
        notebook.wait()
    assert result.returncode == 2, result.stderr
    assert f"process {notebook.pid}" in result.stderr
    assert "chroma run" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_second_process_is_refused_with_the_server_mode_named(tmp_path: Path) -> None:
    folder = tmp_path / "chroma"
    code = HOLDER.format(repo=str(REPO), folder=str(folder))
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(FolderInUseError, match=rf"process {holder.pid}.*chroma run"):
            ChromaStore(path=folder)
        # a store of this process on the folder is refused too, and leaves nothing locked
        with pytest.raises(FolderInUseError):
            ChromaStore(path=folder)
    finally:
        holder.kill()  # SIGKILL: the operating system releases the lock
        holder.wait()
    deadline = time.monotonic() + 10
    while True:
        try:
            store = ChromaStore(path=folder)
            break
        except FolderInUseError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    with store:
        assert store.get(("ns",), "k") is not None  # the killed process's write is there


def test_stores_of_one_process_share_a_folder(tmp_path: Path) -> None:
    folder = tmp_path / "chroma"
    first = ChromaStore(path=folder, collection_prefix="one")
    second = ChromaStore(path=folder, collection_prefix="two")
    first.put(("ns",), "k", {"v": 1})
    second.put(("ns",), "k", {"v": 2})
    first.close()
    assert second.get(("ns",), "k").value == {"v": 2}  # still open after the first closed
    second.close()
    code = "import sys; sys.path.insert(0, sys.argv[1]); from langmem_plugin import ChromaStore;"
    code += "ChromaStore(path=sys.argv[2], collection_prefix='one').close()"
    subprocess.run([sys.executable, "-c", code, str(REPO), str(folder)], check=True)
