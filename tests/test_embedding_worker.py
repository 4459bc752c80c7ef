"""The embedding model in a worker process: same vectors, started on demand, stopped when idle."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator

import numpy as np
import pytest
from pydantic import ValidationError

from bot.app import make_embedder
from bot.embedding_worker import WorkerEmbedder
from bot.settings import Settings
from digest.ranking.embedding import (
    MINILM_DIM,
    HashingEmbedder,
    minilm_installed,
    minilm_name,
    resolve_precision,
)

TEXTS = ["Diffusion policies for robot manipulation.", "Protein folding with transformers."]


def wait_for(check: Callable[[], bool], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds  # an upper bound, never an expected duration
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture
def hashing_worker() -> Iterator[WorkerEmbedder]:
    reference = HashingEmbedder()
    worker = WorkerEmbedder("hashing", name=reference.name, dim=reference.dim, idle_seconds=1.0)
    yield worker
    worker.close()


def test_the_worker_starts_on_demand_and_embeds_like_the_model(
    hashing_worker: WorkerEmbedder,
) -> None:
    assert not hashing_worker.running  # nothing is loaded until something is embedded
    vectors = hashing_worker.embed(TEXTS)
    assert hashing_worker.running
    np.testing.assert_array_equal(vectors, HashingEmbedder().embed(TEXTS))
    assert hashing_worker.embed([]).shape == (0, 256)


def test_an_idle_worker_stops_and_comes_back_when_needed(hashing_worker: WorkerEmbedder) -> None:
    hashing_worker.embed(TEXTS)
    wait_for(lambda: not hashing_worker.running)
    again = hashing_worker.embed(TEXTS[:1])
    assert hashing_worker.running
    np.testing.assert_array_equal(again, HashingEmbedder().embed(TEXTS[:1]))


def test_a_killed_worker_is_replaced(hashing_worker: WorkerEmbedder) -> None:
    hashing_worker.embed(TEXTS)
    process = hashing_worker._process
    assert process is not None and process.pid is not None
    os.kill(process.pid, signal.SIGKILL)
    process.join(10)
    np.testing.assert_array_equal(hashing_worker.embed(TEXTS), HashingEmbedder().embed(TEXTS))


def test_a_worker_for_a_model_that_is_not_what_was_promised_fails_clearly() -> None:
    worker = WorkerEmbedder("hashing", name="something-else", dim=256)
    try:
        with pytest.raises(RuntimeError, match="expected something-else"):
            worker.embed(TEXTS)
    finally:
        worker.close()


def test_settings_choose_the_worker_or_the_main_process() -> None:
    assert make_embedder(Settings(_env_file=None, embedder="none")) is None
    hashing = make_embedder(Settings(_env_file=None, embedder="hashing"))
    assert isinstance(hashing, HashingEmbedder)
    if not minilm_installed():
        assert make_embedder(Settings(_env_file=None, embedder="auto")) is None
        return
    worker = make_embedder(Settings(_env_file=None, embedder="auto"))
    assert isinstance(worker, WorkerEmbedder) and not worker.running
    assert (worker.name, worker.dim) == (minilm_name(), MINILM_DIM)
    worker.close()
    pinned = make_embedder(Settings(_env_file=None, embedder_precision="fp32"))
    assert pinned is not None and pinned.name == minilm_name(precision="fp32")
    getattr(pinned, "close", lambda: None)()


def test_an_unknown_precision_is_refused_before_anything_loads() -> None:
    with pytest.raises(ValidationError, match="embedder_precision"):
        Settings(_env_file=None, embedder_precision="int4")
    with pytest.raises(ValueError, match="auto, int8, bf16 or fp32"):
        resolve_precision("int4")
    assert resolve_precision("bf16") == "bf16"
    assert resolve_precision("auto") in ("int8", "bf16")


@pytest.mark.skipif(not minilm_installed(), reason="the ml extra (MiniLM, torch) is not installed")
def test_minilm_in_the_worker_gives_the_in_process_vectors() -> None:
    from digest.ranking.minilm import MiniLmEmbedder

    worker = WorkerEmbedder(
        "minilm", precision="fp32", name=minilm_name(precision="fp32"), dim=MINILM_DIM
    )
    try:
        expected = MiniLmEmbedder(precision="fp32").embed(TEXTS)
        np.testing.assert_allclose(worker.embed(TEXTS), expected, atol=1e-6)
    finally:
        worker.close()
