"""The embedding model in a worker process of its own, started when needed and stopped when idle.

A loaded MiniLM costs the process that holds it about 400 MB (torch alone is most of it),
while a bot needs the model only minutes a day: when it ingests new papers and when it ranks
a morning's digests. The worker holds the model only then; between, ``paperboy run`` stays
small. It is a real implementation of the ``Embedder`` port: vectors are the same as the
model's in-process ones (the worker runs exactly that code).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import threading
import time
from collections.abc import Sequence
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

import numpy as np

from digest.ranking.embedding import Matrix, load_embedder

__all__ = ["WorkerEmbedder"]

log = logging.getLogger(__name__)


def _serve(connection: Connection, kind: str, precision: str) -> None:
    """The worker: load the model once, then embed what is asked until told to stop."""
    embedder = load_embedder(kind, precision)
    if embedder is None:
        connection.send(RuntimeError(f"no {kind} embedding model is installed"))
        return
    connection.send((embedder.name, embedder.dim))
    while True:
        try:
            texts = connection.recv()
        except EOFError:  # the parent is gone
            return
        if texts is None:
            return
        try:
            connection.send(embedder.embed(texts))
        except Exception as exc:  # the parent raises it; the worker stays up
            connection.send(exc)


class WorkerEmbedder:
    """Embeds in a child process that starts on first use and stops after ``idle_seconds``."""

    def __init__(
        self,
        kind: str,
        *,
        name: str,
        dim: int,
        precision: str = "auto",
        idle_seconds: float = 300.0,
    ) -> None:
        self.kind = kind
        self.precision = precision
        self.name = name  # known up front: stored vectors are looked up by it before any embed
        self.dim = dim
        self._idle_seconds = idle_seconds
        self._lock = threading.Lock()
        self._process: BaseProcess | None = None
        self._connection: Connection | None = None
        self._last_used = 0.0
        self._stop = threading.Event()
        self._reaper = threading.Thread(target=self._reap, name="embedder-reaper", daemon=True)
        self._reaper.start()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.is_alive()

    def embed(self, texts: Sequence[str]) -> Matrix:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            for attempt in (1, 2):  # a worker that died (OOM, killed) is started again once
                connection = self._ensure_started()
                try:
                    connection.send(list(texts))
                    answer = connection.recv()
                except (EOFError, BrokenPipeError, ConnectionResetError):
                    log.warning("the embedding worker died; starting it again")
                    self._discard()
                    if attempt == 2:
                        raise
                    continue
                self._last_used = time.monotonic()
                if isinstance(answer, Exception):
                    raise answer
                return np.asarray(answer, dtype=np.float32)
        raise AssertionError("unreachable")

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            self._shutdown()

    # the worker's life -----------------------------------------------------------------
    def _ensure_started(self) -> Connection:
        if self._connection is not None and self.running:
            return self._connection
        self._discard()
        # spawn, not fork: the parent runs an event loop and threads that a fork would copy.
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe()
        process = context.Process(
            target=_serve,
            args=(theirs, self.kind, self.precision),
            name="paperboy-embedder",
            daemon=True,
        )
        started = time.monotonic()
        process.start()
        theirs.close()
        hello = ours.recv()
        if isinstance(hello, Exception):
            process.join(5)
            raise hello
        name, dim = hello
        if (name, dim) != (self.name, self.dim):
            process.kill()
            raise RuntimeError(f"the worker loaded {name} ({dim}), expected {self.name}")
        self._process, self._connection = process, ours
        log.info(
            "embedding worker started",
            extra={"model": name, "seconds": round(time.monotonic() - started, 1)},
        )
        return ours

    def _reap(self) -> None:
        """Stops the worker once it has been idle long enough."""
        period = max(0.5, min(30.0, self._idle_seconds / 4))
        while not self._stop.wait(period):
            if not self.running or time.monotonic() - self._last_used < self._idle_seconds:
                continue
            with self._lock:
                if time.monotonic() - self._last_used >= self._idle_seconds:
                    log.info("embedding worker idle; stopping it")
                    self._shutdown()

    def _shutdown(self) -> None:
        if self._connection is not None and self.running:
            with contextlib.suppress(OSError):  # already gone: nothing to tell
                self._connection.send(None)
        if self._process is not None:
            self._process.join(10)
            if self._process.is_alive():
                self._process.kill()
                self._process.join(5)
        self._discard()

    def _discard(self) -> None:
        if self._connection is not None:
            self._connection.close()
        if self._process is not None and self._process.is_alive():
            self._process.kill()
            self._process.join(5)
        self._process, self._connection = None, None
