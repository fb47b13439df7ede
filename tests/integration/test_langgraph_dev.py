"""``langgraph dev`` serving a graph whose store is ``ChromaStore`` (examples/langgraph_dev).

The example's ``langgraph.json`` names a custom store (``"store": {"path":
"./store.py:chroma_store"}``, a key of the installed langgraph-api's ``StoreConfig``). The
test starts the real ``langgraph dev`` (langgraph-cli, langgraph-api's in-memory runtime)
on 127.0.0.1 with every outbound call off (analytics, version check, LangSmith tracing; no
license key, so no metadata loop), runs the graph through ``langgraph_sdk``'s client, stops
the server and opens the ChromaStore folder it wrote.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from langmem_plugin._namespaces import user_label
from langmem_plugin.store import ChromaStore
from tests._support import free_port

pytest.importorskip("langgraph_api")
langgraph_sdk = pytest.importorskip("langgraph_sdk")

pytestmark = pytest.mark.slow

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "langgraph_dev"
LANGGRAPH = Path(sys.executable).with_name("langgraph")
OFFLINE = {
    "LANGGRAPH_CLI_NO_ANALYTICS": "1",  # langgraph-cli's usage report
    "LANGGRAPH_NO_VERSION_CHECK": "1",  # langgraph-api's PyPI version check
    "LANGSMITH_TRACING": "false",
    "LANGCHAIN_TRACING_V2": "false",
    "ANONYMIZED_TELEMETRY": "False",  # Chroma
    "ORT_DISABLE_TELEMETRY": "1",
}
"""The environment that keeps ``langgraph dev`` off the network."""


@dataclass
class Server:
    url: str
    store_path: Path
    process: subprocess.Popen[str]
    log: Path
    loops: str

    def stop(self) -> str:
        """Interrupt the server as Ctrl-C does; its lifespan closes the store. Returns the log."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        return self.log.read_text()


@pytest.fixture(params=["shared", "isolated"])
def server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Server]:
    """``langgraph dev`` on the example; ``isolated``: runs on their own event loops.

    With ``BG_JOB_ISOLATED_LOOPS=true`` langgraph-api enters the store factory again in each
    run loop's thread (its store stack is thread-local): a second ``ChromaStore`` on the same
    folder in the same process, which the folder lock allows (stores of one process share
    it) and whose writes land in the same items.
    """
    project = tmp_path / "project"  # a copy: the server writes .langgraph_api/ beside it
    shutil.copytree(EXAMPLE, project)
    port = free_port()
    store_path = tmp_path / "chroma"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("LANGSMITH_", "LANGCHAIN_", "LANGGRAPH_"))
    }
    env.update(OFFLINE)
    env["LANGMEM_STORE_PATH"] = str(store_path)
    env["BG_JOB_ISOLATED_LOOPS"] = "true" if request.param == "isolated" else "false"
    env["PYTHONPATH"] = os.pathsep.join([str(EXAMPLE.parents[1]), env.get("PYTHONPATH", "")])
    log = tmp_path / "langgraph-dev.log"
    command = [str(LANGGRAPH), "dev", "--no-browser", "--no-reload"]
    with log.open("w") as out:
        process = subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", str(port)],
            cwd=project,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
    running = Server(f"http://127.0.0.1:{port}", store_path, process, log, request.param)
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                pytest.fail(f"langgraph dev exited:\n{log.read_text()[-4000:]}")
            try:
                if httpx.get(f"{running.url}/ok", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"langgraph dev did not answer:\n{log.read_text()[-4000:]}")
            time.sleep(0.5)
        yield running
    finally:
        running.stop()


def say(client: object, user: str, text: str) -> str:
    thread = client.threads.create()  # type: ignore[attr-defined]
    out = client.runs.wait(  # type: ignore[attr-defined]
        thread["thread_id"],
        "agent",
        input={"messages": [{"role": "user", "content": text}]},
        context={"user_id": user},
    )
    return str(out["messages"][-1]["content"])


def test_langgraph_dev_runs_the_graph_on_chromastore_and_the_items_are_on_disk(
    server: Server,
) -> None:
    client = langgraph_sdk.get_sync_client(url=server.url)
    ada, bob = "ada.lovelace@example.org", "bob"
    assert say(client, ada, "I like green tea") == "I remember: I like green tea"
    say(client, bob, "I play the cello")
    # a new thread: only the store links it to the first, and only ada's items come back
    answer = say(client, ada, "Which drink do I like?")
    assert "I like green tea" in answer
    assert "cello" not in answer
    # the server's own store API is the ChromaStore too
    listed = client.store.search_items(["memories", user_label(ada)])
    assert sorted(item["value"]["content"] for item in listed["items"]) == [
        "I like green tea",
        "Which drink do I like?",
    ]
    log = server.stop()
    assert server.process.returncode is not None
    opened = log.count("Using custom store: <langmem_plugin.store._chroma.ChromaStore")
    assert opened == 1 if server.loops == "shared" else opened >= 2
    # a new store on the folder the server wrote: the items are there, searchable
    with ChromaStore(path=server.store_path, index={"dims": 384, "embed": "local"}) as store:
        assert store.list_namespaces() == [
            ("memories", user_label(ada)),
            ("memories", user_label(bob)),
        ]
        hits = store.search(("memories", user_label(ada)), query="tea", limit=1)
        assert hits[0].value == {"content": "I like green tea"}
