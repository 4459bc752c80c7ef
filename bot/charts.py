"""Drawing a trends picture (``digest.trends.Trends``) as a PNG, with matplotlib's Agg backend.

Readable on a phone: 1400x900 pixels, large type, the Okabe-Ito palette (safe for the
common colour-vision deficiencies) with a distinct marker and line style per interest, so
the lines can be told apart without colour. CPU-bound: call it through
``asyncio.to_thread`` from the event loop. No pyplot (its global state is not thread-safe).
"""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from digest.trends import Trends

__all__ = ["HEIGHT", "PALETTE", "WIDTH", "draw_trends", "write_trends"]

WIDTH, HEIGHT = 1400, 900  # pixels
_DPI = 100
# Okabe & Ito (2008): distinguishable with protanopia, deuteranopia and tritanopia.
PALETTE = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
    "#000000",  # black
)
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
_STYLES = ("-", "--", "-.", ":")
_MAX_SERIES = 8


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _plain(text: str) -> str:
    """Paper and chat text is untrusted: matplotlib reads ``$...$`` as mathtext."""
    return text.replace("$", r"\$")


def draw_trends(trends: Trends) -> bytes:
    """The picture as PNG bytes, WIDTH x HEIGHT pixels."""
    figure = Figure(figsize=(WIDTH / _DPI, HEIGHT / _DPI), dpi=_DPI, facecolor="white")
    FigureCanvasAgg(figure)
    grid = figure.add_gridspec(
        2,
        2,
        height_ratios=(3, 2),
        hspace=0.32,
        wspace=0.1,
        left=0.07,
        right=0.98,
        top=0.9,
        bottom=0.02,
    )
    chart = figure.add_subplot(grid[0, :])
    labels = [f"{week:%d %b}" for week in trends.weeks]
    positions = list(range(len(labels)))
    shown = trends.series[:_MAX_SERIES]
    for n, series in enumerate(shown):
        chart.plot(
            positions,
            series.counts,
            label=_plain(_clip(series.label, 40)) + f" ({sum(series.counts)})",
            color=PALETTE[n % len(PALETTE)],
            marker=_MARKERS[n % len(_MARKERS)],
            linestyle=_STYLES[n % len(_STYLES)],
            linewidth=3,
            markersize=9,
        )
    chart.set_xticks(positions, labels, fontsize=13)
    chart.tick_params(axis="y", labelsize=13)
    chart.set_ylabel("papers matched per week", fontsize=15)
    chart.set_xlabel("week of", fontsize=13)
    chart.set_ylim(bottom=0)
    chart.yaxis.set_major_locator(MaxNLocator(integer=True))
    chart.grid(axis="y", alpha=0.3)
    chart.spines[["top", "right"]].set_visible(False)
    chart.set_title(
        _plain(_clip(f"{trends.title} · {trends.period}", 90)), fontsize=20, loc="left", pad=14
    )
    if shown:
        chart.legend(fontsize=13, loc="upper left", frameon=False, ncols=2 if len(shown) > 4 else 1)
    if trends.is_empty:
        chart.text(
            0.5,
            0.5,
            "No paper matched these interests in this period",
            transform=chart.transAxes,
            ha="center",
            va="center",
            fontsize=18,
            color="#555555",
        )
    _text_panel(
        figure.add_subplot(grid[1, 0]),
        f"Top-voted papers ({trends.vote_label})",
        [f"{i}. {_clip(t.paper.title, 62)} — {t.votes}" for i, t in enumerate(trends.top, start=1)]
        or ["No votes in this period yet"],
    )
    _text_panel(
        figure.add_subplot(grid[1, 1]),
        "Emerging phrases (share of papers)",
        [f"{p.phrase}: {p.previous:.0%} → {p.share:.0%}" for p in trends.rising]
        or ["Not enough papers to tell"],
    )
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=_DPI, facecolor="white")
    return buffer.getvalue()


def _text_panel(axes: Axes, heading: str, lines: list[str]) -> None:
    axes.axis("off")
    axes.set_title(heading, fontsize=16, loc="left", fontweight="bold")
    wrapped: list[str] = []
    for line in lines[:6]:
        wrapped.extend(textwrap.wrap(_plain(line), 58, subsequent_indent="   ")[:2])
    axes.text(
        0.0,
        1.0,
        "\n".join(wrapped),
        va="top",
        ha="left",
        fontsize=13,
        linespacing=1.5,
        transform=axes.transAxes,
    )


def write_trends(trends: Trends, path: Path) -> Path:
    """Draws ``trends`` into the PNG file ``path``."""
    path.write_bytes(draw_trends(trends))
    return path
