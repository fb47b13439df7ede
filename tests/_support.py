"""Helpers shared by the test suite: real Chroma servers and deterministic embeddings."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

CHROMA_BIN = Path(sys.executable).with_name("chroma")
LANGMEM = Path(sys.executable).with_name("langmem")


def langmem_command(*args: str) -> list[str]:
    """``langmem ARGS``: the installed script, else the module under this interpreter."""
    if LANGMEM.exists():
        return [str(LANGMEM), *args]
    return [sys.executable, "-m", "langmem_plugin.cli", *args]


@contextmanager
def running_langmem(*args: str) -> Iterator[str]:
    """``langmem ARGS`` as a process until the block ends; yields the first line it prints."""
    proc = subprocess.Popen(
        langmem_command(*args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        assert proc.stdout is not None
        yield proc.stdout.readline()
    finally:
        proc.terminate()
        proc.wait(20)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def chroma_server(path: Path, *, timeout: float = 60.0) -> Iterator[str]:
    """Run ``chroma run --path PATH --host 127.0.0.1 --port N``; yields its URL; stops it."""
    port = free_port()
    log = open(path.parent / f"chroma-{port}.log", "wb")  # noqa: SIM115
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    proc = subprocess.Popen(
        [str(CHROMA_BIN), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"chroma run exited with {proc.returncode}; see {log.name}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"chroma run did not listen on {port}") from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def have_chroma_cli() -> bool:
    """Whether the ``chroma`` command of the installed chromadb is available."""
    return CHROMA_BIN.exists() or shutil.which("chroma") is not None


_WORD = re.compile(r"[a-z0-9]+")


class HashEmbeddings:
    """A deterministic bag-of-words embedding with float32-exact values.

    Texts sharing words get similar vectors, so rankings are meaningful, and the numbers are
    the same on every machine. Used where the test is about the store, not the model.
    """

    def __init__(self, dims: int = 32) -> None:
        self.dims = dims

    def _one(self, text: str) -> list[float]:
        vec = np.zeros(self.dims, dtype=np.float32)
        for word in _WORD.findall(text.lower()) or [""]:
            h = hashlib.blake2b(word.encode(), digest_size=8).digest()
            vec[h[0] % self.dims] += 1.0 + (h[1] % 4) / 4.0
        return [float(x) for x in vec]

    def __call__(self, texts: list[str]) -> list[list[float]]:
        return [self._one(t) for t in texts]


class CountingEmbeddings(HashEmbeddings):
    """HashEmbeddings that records every call (to check what a store embeds)."""

    def __init__(self, dims: int = 32) -> None:
        super().__init__(dims)
        self.calls: list[list[str]] = []

    def __call__(self, texts: list[str]) -> list[list[float]]:
        self.calls.append(list(texts))
        return super().__call__(texts)
