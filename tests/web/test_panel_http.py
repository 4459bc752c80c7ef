"""The panel over HTTP without a browser: links, sessions, CSRF, 403s, forms, escaping."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import httpx

from bot.web_app.auth import Grant, PanelKeys
from bot.web_app.routes import COOKIE
from digest.models import Platform
from tests.web.conftest import NOW, Panel, client


async def signed_in(panel: Panel, **ctx: object) -> tuple[httpx.AsyncClient, str]:
    """A client that opened a `/papers panel` link; and the workspace page it landed on."""
    async with client() as opener:
        opened = await opener.get(await panel.link(**ctx))
    assert opened.status_code == 303
    http = client()
    http.cookies = opened.cookies
    return http, panel.url + opened.headers["Location"]


def csrf_of(page: str) -> str:
    start = page.index('name="csrf" value="') + len('name="csrf" value="')
    return page[start : page.index('"', start)]


async def test_a_link_opens_a_session_scoped_to_its_workspace(panel: Panel) -> None:
    link = await panel.link()
    assert link.startswith(f"{panel.url}/panel/open?t=")
    async with client() as http:
        opened = await http.get(link)
        assert opened.status_code == 303
        assert opened.headers["Location"] == "/panel/console/T1/"
        cookie = opened.headers["Set-Cookie"]
        assert cookie.startswith(f"{COOKIE}=")
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert "Path=/panel/console/T1/" in cookie and "Secure" not in cookie
        assert "Max-Age" not in cookie  # a session cookie: gone when the browser closes
        http.cookies = opened.cookies
        await panel.command("interests add diffusion policy")
        page = await http.get(f"{panel.url}/panel/console/T1/")
        assert page.status_code == 200
        assert "#papers-c1" in page.text
        assert page.headers["X-Frame-Options"] == "DENY"


def test_cookies_are_secure_when_the_public_url_is_https() -> None:
    assert PanelKeys("s" * 32, "https://panel.example.org").secure
    assert not PanelKeys("s" * 32, "http://localhost:8080").secure


async def test_missing_altered_expired_and_foreign_links_get_403(panel: Panel) -> None:
    link = await panel.link()
    token = link.split("t=", 1)[1]
    payload, mac = token.split(".")
    altered = f"{panel.url}/panel/open?t={payload[:-2]}xx.{mac}"
    async with client() as http:
        for bad in (f"{panel.url}/panel/open", altered, f"{panel.url}/panel/open?t=x.y"):
            refused = await http.get(bad)
            assert refused.status_code == 403
            assert "Ask for a new link" in refused.text and "Set-Cookie" not in refused.headers
        # A link signed with another secret is refused too.
        other = PanelKeys("another-secret-0123456789", panel.url).link(
            Grant(platform=Platform.CONSOLE, workspace_id="T1", user_id="U1"), NOW
        )
        assert (await http.get(other)).status_code == 403
        panel.clock.advance(timedelta(minutes=16))
        expired = await http.get(link)
        assert expired.status_code == 403 and "expired" in expired.text
        # No session at all.
        assert (await http.get(f"{panel.url}/panel/console/T1/")).status_code == 403


async def test_nothing_of_another_workspace_is_visible(panel: Panel) -> None:
    await panel.command("interests add secret topic of T2", workspace="T2", channel="C9")
    theirs = panel.paperboy.repository.ensure_channel(Platform.CONSOLE, "T2", "C9")
    await panel.command("interests add diffusion policy")
    http, home = await signed_in(panel)
    async with http:
        page = await http.get(home)
        assert "papers-c1" in page.text and "papers-c9" not in page.text
        # Their channel through our workspace's path, and their workspace's path.
        for url in (
            f"{home}c/{theirs.id}/",
            f"{home}c/{theirs.id}/log",
            f"{home}c/{theirs.id}/why?ref=2406.00001",
            f"{panel.url}/panel/console/T2/",
            f"{panel.url}/panel/console/T2/c/{theirs.id}/",
            f"{home}c/nope/",
        ):
            refused = await http.get(url)
            assert refused.status_code == 403, url
            assert "secret topic" not in refused.text
        post = await http.post(f"{home}c/{theirs.id}/", data={"action": "pause"})
        assert post.status_code == 403
    assert not panel.paperboy.repository.get_channel(theirs.id or 0).paused  # type: ignore[union-attr]


async def test_forms_change_settings_through_the_shared_handlers(panel: Panel) -> None:
    await panel.command("help")
    mine = panel.paperboy.repository.ensure_channel(Platform.CONSOLE, "T1", "C1")
    http, home = await signed_in(panel)
    page_url = f"{home}c/{mine.id}/"
    async with http:
        page = await http.get(page_url)
        csrf = csrf_of(page.text)
        added = await http.post(
            page_url, data={"csrf": csrf, "action": "interests_add", "text": "diffusion policy"}
        )
        assert added.status_code == 200
        assert "Added query interest “diffusion policy”" in added.text
        assert "it would have picked 1" in added.text  # the same trial as the command
        schedule = await http.post(
            page_url,
            data={
                "csrf": csrf,
                "action": "schedule",
                "time": "07:30",
                "timezone": "Europe/Berlin",
                "days": "weekly mon",
            },
        )
        assert "Digests now go out Mon at 07:30 (Europe/Berlin)" in schedule.text
        settings = await panel.command("settings")
        assert "Schedule: Mon at 07:30 (Europe/Berlin)" in settings
        # Bad input: the grammar's own message, a 400, and nothing changes.
        bad = await http.post(page_url, data={"csrf": csrf, "action": "size", "size": "99"})
        assert bad.status_code == 400 and "give a number from 1 to 25" in bad.text
        forged = await http.post(page_url, data={"action": "size", "size": "3"})
        assert forged.status_code == 403
        other = await http.post(page_url, data={"csrf": "x" * 43, "action": "size", "size": "3"})
        assert other.status_code == 403
        assert "Digest size: at most 8 papers" in await panel.command("settings")
        weight = await http.post(
            page_url,
            data={"csrf": csrf, "action": "interests_weight", "number": "1", "weight": "2"},
        )
        assert "now counts with weight 2" in weight.text
        paused = await http.post(page_url, data={"csrf": csrf, "action": "pause"})
        assert "Digests are paused here" in paused.text and 'id="resume"' in paused.text


async def test_follows_with_instant_alerts_and_the_weekly_trends_picture(panel: Panel) -> None:
    """What `/papers follow ... --instant` and `/papers trends weekly|off` do, from forms."""
    await panel.command("help")
    mine = panel.paperboy.repository.ensure_channel(Platform.CONSOLE, "T1", "C1")
    assert mine.id is not None
    http, home = await signed_in(panel)
    page_url = f"{home}c/{mine.id}/"
    async with http:
        csrf = csrf_of((await http.get(page_url)).text)
        for kind, what in (("author", "Ada Lovelace"), ("phrase", "mixture of experts")):
            followed = await http.post(
                page_url,
                data={
                    "csrf": csrf,
                    "action": "follow",
                    "kind": kind,
                    "what": what,
                    "instant": "yes",
                },
            )
            assert followed.status_code == 200 and "Instant:" in followed.text, followed.text
        category = await http.post(
            page_url, data={"csrf": csrf, "action": "follow", "kind": "cat", "what": "cs.RO"}
        )
        assert category.status_code == 200 and "Instant:" not in category.text
        stored = {
            (i.kind.value, i.text, i.instant)
            for i in panel.paperboy.repository.list_interests(mine.id)
        }
        assert ("author", "Ada Lovelace", True) in stored
        assert ("query", '"mixture of experts"', True) in stored
        assert ("category", "cs.RO", False) in stored
        weekly = await http.post(
            page_url, data={"csrf": csrf, "action": "trends", "day": "mon", "time": "08:15"}
        )
        assert weekly.status_code == 200
        channel = panel.paperboy.repository.get_channel(mine.id)
        assert channel is not None and channel.trends_schedule == "mon 08:15"
        assert "Posted every mon 08:15" in weekly.text
        off = await http.post(page_url, data={"csrf": csrf, "action": "trends", "day": ""})
        assert off.status_code == 200
        channel = panel.paperboy.repository.get_channel(mine.id)
        assert channel is not None and channel.trends_schedule is None
        bad = await http.post(
            page_url, data={"csrf": csrf, "action": "follow", "kind": "planet", "what": "x"}
        )
        assert bad.status_code == 400 and "is not author, cat or phrase" in bad.text


async def test_untrusted_text_is_escaped(panel: Panel) -> None:
    await panel.command("interests add <img src=x onerror=alert(1)> robot")
    mine = panel.paperboy.repository.ensure_channel(Platform.CONSOLE, "T1", "C1")
    http, home = await signed_in(panel)
    async with http:
        page = (await http.get(f"{home}c/{mine.id}/")).text
        assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt; robot" in page
        why = (await http.get(f"{home}c/{mine.id}/why", params={"ref": "2406.00003"})).text
        assert "<script>alert" not in why and "&lt;script&gt;alert(&#39;x&#39;)" in why


async def test_restricted_workspaces_let_only_managers_change(panel: Panel) -> None:
    repository = panel.paperboy.repository
    await panel.command("interests add diffusion policy")
    workspace = repository.ensure_workspace(Platform.CONSOLE, "T1")
    import dataclasses

    repository.save_workspace(dataclasses.replace(workspace, restrict_settings=True))
    mine = repository.ensure_channel(Platform.CONSOLE, "T1", "C1")
    http, home = await signed_in(panel)
    async with http:
        page = await http.get(f"{home}c/{mine.id}/")
        assert "only managers may change settings" in page.text
        assert 'value="interests_add"' not in page.text
        refused = await http.post(
            f"{home}c/{mine.id}/", data={"csrf": csrf_of(page.text), "action": "size", "size": "3"}
        )
        assert refused.status_code == 403
    assert "Digest size: at most 8 papers" in await panel.command("settings")
    manager, home = await signed_in(panel, manager=True)
    async with manager:
        page = await manager.get(f"{home}c/{mine.id}/")
        changed = await manager.post(
            f"{home}c/{mine.id}/", data={"csrf": csrf_of(page.text), "action": "size", "size": "3"}
        )
        assert changed.status_code == 200 and "at most 3 papers" in changed.text


async def test_why_log_votes_and_read_only_commands(panel: Panel) -> None:
    await panel.command("interests add diffusion policy robot")
    mine = panel.paperboy.repository.ensure_channel(Platform.CONSOLE, "T1", "C1")
    http, home = await signed_in(panel)
    base = f"{home}c/{mine.id}/"
    async with http:
        why = await http.get(f"{base}why", params={"ref": "protein folding at scale"})
        assert why.status_code == 200
        assert "Not posted: below the threshold" in why.text and "hf-daily" in why.text
        page = await http.get(base)
        posted = await http.post(base, data={"csrf": csrf_of(page.text), "action": "digest_now"})
        assert "Posted a digest of" in posted.text
        log = await http.get(f"{base}log")
        assert "Diffusion Policy for Robot Arms" in log.text and "badge sent" in log.text
        assert "console-1" in log.text
        votes = await http.get(f"{base}votes")
        assert "No votes yet" in votes.text
        preview = await http.get(f"{base}ask", params={"command": "status"})
        assert "paperboy status" in preview.text
        unknown = await http.get(f"{base}ask", params={"command": "pause"})
        assert unknown.status_code == 400
    assert urlsplit(home).path == "/panel/console/T1/"


async def test_no_panel_for_discord_direct_messages(panel: Panel) -> None:
    from bot.handlers import CommandContext

    ctx = CommandContext(
        platform=Platform.DISCORD, workspace_id="dm", channel_id="D1", user_id="U1"
    )
    reply = await panel.paperboy.handlers.handle("panel", ctx)
    assert reply.error and reply.link is None and "for servers" in reply.text
