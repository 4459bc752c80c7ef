"""`make eval`: ranking quality on relevance-judged interests, next to the usual baselines.

    python -m bot.evaluate ../shared/eval eval [--per-interest]

The first folder holds papers.jsonl; each folder adds interests (queries.json: a short query
and a sentence each) and graded judgments (qrels.json) over those papers. The repository's
own ``eval/`` holds 43 interests judged here, beside the shared 10. For every interest, both
phrasings, it prints nDCG@10 and P@10 of BM25, tf-idf over words and word pairs, MiniLM cosine
(sentence-transformers' default encode), reciprocal-rank fusion of BM25 and MiniLM, and
paperboy: with its shipped defaults, and cross-validated (each fold of interests ranked with
the setting chosen on the other folds; folds fixed by name). Under each table: paperboy's
gap to each baseline with a paired sign-flip test over the pooled interests. Last, feedback:
nDCG@10 on the papers not voted on, after 3 likes, and after 3 likes and 3 dislikes, with the
feedback settings cross-validated the same way.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bot.crossval import cross_validate, fixed_folds
from bot.evaluation.baselines import baselines
from bot.evaluation.metrics import (
    JudgedSet,
    load_judged,
    ndcg_at,
    paired_p_value,
    precision_at,
)
from bot.evaluation.studies import embedding_input_effect, feedback_effect
from bot.evaluation.systems import PHRASINGS, Embedded, paperboy_ranking, score_interests
from digest.ranking.ranker import HybridRanker

__all__ = ["main", "ndcg_at", "paired_p_value", "precision_at"]


# The settings cross-validation chooses among, the shipped defaults first (ties go to them):
# a HybridRanker's keyword arguments over its defaults. (Smoothing was in an earlier grid,
# 0.15 or 0.3: 0.3 won in four folds of five, and stays fixed to keep `make eval` short.)
SETTINGS: dict[str, dict[str, float | None]] = {"shipped defaults": {}}
for _dense in (0.4, 0.5, 0.6, 0.7):
    for _prf in (0.25, 0.5):
        for _short in (None, 0.3):
            SETTINGS.setdefault(
                f"dense {_dense}, prf {_prf}, short queries {_short or _dense}",
                {"dense_weight": _dense, "prf_weight": _prf, "short_dense_weight": _short},
            )


def evaluate(folders: Sequence[Path], *, per_interest: bool = False) -> dict[str, dict[str, float]]:
    from digest.ranking.minilm import MiniLmEmbedder

    judged = load_judged(folders)
    qids = sorted(judged.queries)
    started = time.perf_counter()
    embedder = MiniLmEmbedder()
    shipped = HybridRanker(embedder)
    # int8 and bf16 vectors (chosen by the CPU) measure slightly differently: say which.
    print(
        f"paperboy ranks with {shipped.name}; {len(judged.papers)} papers, {len(qids)} "
        "interests: "
        + ", ".join(
            f"{sum(1 for q in qids if judged.origin[q] == str(f))} from {f}" for f in folders
        )
    )
    embedded = Embedded(shipped, judged.papers)
    measured = {
        name: score_interests(rank, judged, qids) for name, rank in baselines(judged.papers).items()
    }
    grid = {}
    for name, overrides in SETTINGS.items():
        ranker = HybridRanker(embedder, **overrides)  # type: ignore[arg-type]
        grid[name] = score_interests(
            paperboy_ranking(ranker, judged.papers, (), embedded), judged, qids
        )
    folds = fixed_folds(qids, 5)
    units = [[f"{q}/{p}" for q in fold for p in PHRASINGS] for fold in folds]
    cv = cross_validate({n: {u: v[0] for u, v in s.items()} for n, s in grid.items()}, units)
    print(
        f"\n{len(SETTINGS)} settings; 5 fixed folds of interests, each scored with the "
        "setting chosen on the other four:"
    )
    for number, (fold, choice) in enumerate(zip(folds, cv.chosen, strict=True), start=1):
        print(f"  fold {number} ({len(fold)} interests): {choice}")
    print(
        f"  chosen on all interests: {cv.best_overall}"
        + (
            " (the shipped defaults)"
            if cv.best_overall == "shipped defaults"
            else " — the shipped defaults differ: update HybridRanker's defaults"
        )
    )
    measured["paperboy, shipped"] = grid["shipped defaults"]
    measured["paperboy, cross-validated"] = {
        u: (cv.held_out[u], grid[cv.chosen[i]][u][1]) for i, fold in enumerate(units) for u in fold
    }
    summary: dict[str, dict[str, float]] = {}
    for phrasing in PHRASINGS:
        label = "short query" if phrasing == "short" else "sentence"
        _report(f"== {label}: mean nDCG@10 / P@10 ==", measured, judged, qids, phrasing, folders)
        if per_interest:
            _per_interest(measured, qids, phrasing)
        for name, scores in measured.items():
            summary.setdefault(name, {})[phrasing] = float(
                np.mean([scores[f"{q}/{phrasing}"][0] for q in qids])
            )
    feedback_effect(embedder, embedded, judged, qids)
    embedding_input_effect(shipped, embedded, judged, qids)
    print(f"\n(evaluated in {time.perf_counter() - started:.1f} s)")
    return summary


def _report(
    title: str,
    measured: dict[str, dict[str, tuple[float, float]]],
    judged: JudgedSet,
    qids: Sequence[str],
    phrasing: str,
    folders: Sequence[Path],
) -> None:
    groups = {f"all {len(qids)}": list(qids)}
    for folder in folders:
        own = [q for q in qids if judged.origin[q] == str(folder)]
        groups[f"{folder} ({len(own)})"] = own
    print(f"\n{title}")
    print(f"{'':28}" + "".join(f"{g[:20]:>20}" for g in groups))
    for name, scores in measured.items():
        cells = []
        for members in groups.values():
            ndcg = np.mean([scores[f"{q}/{phrasing}"][0] for q in members])
            precision = np.mean([scores[f"{q}/{phrasing}"][1] for q in members])
            cells.append(f"{ndcg:>12.3f} /{precision:>5.2f}")
        print(f"{name[:28]:28}" + "".join(cells))
    ours = [measured["paperboy, cross-validated"][f"{q}/{phrasing}"][0] for q in qids]
    parts = []
    for name, scores in measured.items():
        if not name.startswith("paperboy"):
            theirs = [scores[f"{q}/{phrasing}"][0] for q in qids]
            gap = float(np.mean(ours) - np.mean(theirs))
            parts.append(f"{name} {gap:+.3f} (p={paired_p_value(ours, theirs):.3f})")
    print("paperboy (cross-validated) minus: " + ", ".join(parts))


def _per_interest(
    measured: dict[str, dict[str, tuple[float, float]]], qids: Sequence[str], phrasing: str
) -> None:
    names = list(measured)
    print(f"{'interest':34}" + "".join(f"{n[:11]:>12}" for n in names))
    for qid in qids:
        print(
            f"{qid[:34]:34}"
            + "".join(f"{measured[n][f'{qid}/{phrasing}'][0]:>12.3f}" for n in names)
        )


def main(argv: Sequence[str] | None = None) -> int:
    if hasattr(sys.stdout, "reconfigure"):  # a long run shows its tables as they come
        sys.stdout.reconfigure(line_buffering=True)
    args = list(sys.argv[1:] if argv is None else argv)
    per_interest = "--per-interest" in args
    folders = [Path(a) for a in args if a != "--per-interest"]
    if (
        not folders
        or not (folders[0] / "papers.jsonl").exists()
        or not all((f / "qrels.json").exists() and (f / "queries.json").exists() for f in folders)
    ):
        print(
            "usage: python -m bot.evaluate PATH [PATH ...] [--per-interest]  (the first folder "
            "with papers.jsonl; each with queries.json and qrels.json over those papers)",
            file=sys.stderr,
        )
        return 2
    summary = evaluate(folders, per_interest=per_interest)
    print("\n== summary: mean nDCG@10 over every interest (short / sentence) ==")
    for name, values in summary.items():
        print(f"{name:28} {values['short']:.3f} / {values['long']:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
