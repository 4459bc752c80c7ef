"""Rich renderables for replies and digests. Untrusted text goes in as ``Text`` (never markup),
so a title like ``[bold]<!channel>`` prints literally."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.rule import Rule
from rich.text import Text

from digest.compose import Digest, Reply, quiet_day_text, short_tldr, shorten_authors
from digest.models import DigestItem, Paper

__all__ = ["render_digest", "render_reply"]


def _links(paper: Paper) -> Text:
    text = Text()
    for label, url in (
        ("arXiv", paper.abs_url),
        ("PDF", paper.pdf_url),
        ("HF", paper.hf_url),
        ("code", paper.code_url),
        ("link", None if paper.abs_url else paper.url),
    ):
        if url:
            if text:
                text.append(" · ", style="dim")
            text.append(label, style=f"link {url}")
            text.append(f" {url}", style="dim")
    return text


def _paper_block(
    number: int, paper: Paper, *, tldr: str | None, why: str | None, upvotes: bool = True
) -> RenderableType:
    title = Text(f"{number}. ", style="bold")
    title.append(paper.title, style="bold cyan")
    parts: list[RenderableType] = [title]
    meta = shorten_authors(paper)
    if upvotes and paper.upvotes:
        meta = f"{meta} · ▲ {paper.upvotes}" if meta else f"▲ {paper.upvotes}"
    if meta:
        parts.append(Text(meta, style="dim"))
    if tldr:
        parts.append(Text(tldr))
    if why:
        parts.append(Text(f"Why: {why}", style="italic green"))
    links = _links(paper)
    if links:
        parts.append(links)
    return Group(*parts, Text(""))


def _item(number: int, item: DigestItem) -> RenderableType:
    return _paper_block(
        number, item.paper, tldr=item.tldr or short_tldr(item.paper, 300), why=item.why
    )


def render_digest(digest: Digest) -> RenderableType:
    channel = digest.channel.name or digest.channel.channel_id
    header = Text(f"{digest.title} — #{channel}", style="bold magenta")
    body: list[RenderableType] = []
    if digest.is_empty:
        body.append(Text(quiet_day_text(digest.scanned, digest.day, digest.note)))
    body.extend(_item(n, item) for n, item in enumerate(digest.items, start=1))
    if digest.left_out:
        body.append(Rule("Left out", style="dim"))
        body.extend(
            Text(f"· {i.paper.title} — score {i.score:.2f}: {i.why}", style="dim")
            for i in digest.left_out
        )
    return Panel(
        Group(*body),
        title=header,
        subtitle=Text(digest.footer, style="dim"),
        border_style="magenta",
    )


def render_reply(reply: Reply) -> RenderableType:
    style = "bold red" if reply.error else "bold"
    parts: list[RenderableType] = [Text(reply.text, style=style)]
    parts.extend(Text(f"  {line}") for line in reply.lines)
    if reply.link:
        parts.append(Text(f"  {reply.link}", style="underline"))
    parts.extend(
        _paper_block(n, p, tldr=short_tldr(p, 200), why=None) for n, p in enumerate(reply.papers, 1)
    )
    if reply.confirm_command:
        parts.append(Text(f"Type `/papers {reply.confirm_command}` to confirm.", style="yellow"))
    if reply.digest is not None:
        parts.append(render_digest(reply.digest))
    return Group(*parts)
