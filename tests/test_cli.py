"""The `paperboy` command line, run as the installed console script (contract forms)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from tests.conftest import shared_path

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PAPERBOY = [sys.executable, "-m", "bot"]
CONTRACT_KEYS = ["id", "title", "abstract", "authors", "published", "upvotes", "url", "source"]


def paperboy(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PAPERBOY_")}
    environment.update(env or {})
    return subprocess.run(
        [*PAPERBOY, *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_parse_json_contract(tmp_path: Path) -> None:
    result = paperboy("parse", str(FIXTURES / "papers.jsonl"), "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    papers = json.loads(result.stdout)
    assert [list(p)[:8] for p in papers] == [CONTRACT_KEYS] * 3
    first = papers[0]
    assert (first["id"], first["published"], first["upvotes"], first["source"]) == (
        "2401.12345",
        "2024-01-22",
        5,
        "jsonl",
    )
    assert first["url"] == "https://arxiv.org/abs/2401.12345"
    assert papers[1]["id"] == "local-7" and papers[2]["id"] is None


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("arxiv_rss2.xml", "arxiv-rss"),
        ("listing_no_blank_lines.txt", "hf-listing"),
        ("blog_feed.xml", "rss"),
        ("arxiv_api_small.xml", "arxiv-atom"),
    ],
)
def test_parse_explicit_formats(tmp_path: Path, name: str, fmt: str) -> None:
    result = paperboy("parse", str(FIXTURES / name), "--format", fmt, "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)


def test_parse_shared_hf_daily_fixture(tmp_path: Path) -> None:
    path = shared_path("fixtures", "hf_daily_papers.json")
    result = paperboy("parse", str(path), "--json", cwd=tmp_path)
    papers = json.loads(result.stdout)
    assert len(papers) == 30 and all(p["id"] and p["source"] == "hf-daily" for p in papers)


def test_parse_daily_papers_page_saved_as_bare_lines(tmp_path: Path) -> None:
    """Issue #15: banner, "Subscribe" glued to the first title, then title and abstract
    lines alternating, with no dates, votes or blank lines."""
    path = FIXTURES / "listing_bare_alternating.txt"
    result = paperboy("parse", str(path), "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    papers = json.loads(result.stdout)
    assert len(papers) == 7
    assert papers[0]["title"].startswith("Sparse Routers Learn to Share")
    assert papers[1]["title"] == "Do Reward Models Dream of Verifiable Answers?"
    assert all(p["published"] is None and p["upvotes"] is None for p in papers)
    assert all(p["source"] == "hf-listing" and len(p["abstract"]) > 150 for p in papers)


@pytest.mark.parametrize(
    "content",
    [
        b"this is\njust some text\n",
        b"\x89PNG\r\n\x1a\n\x00\x00",
        b"title,abstract\nA Paper,An abstract that sits in a CSV cell.\n",
    ],
)
def test_parse_refuses_a_non_listing_in_one_line(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(content)
    result = paperboy("parse", str(path), "--json", cwd=tmp_path)
    assert result.returncode != 0
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert "not a readable listing" in result.stderr
    assert "Traceback" not in result.stderr


def test_parse_missing_file_and_bad_format(tmp_path: Path) -> None:
    missing = paperboy("parse", str(tmp_path / "nope.txt"), cwd=tmp_path)
    assert missing.returncode != 0 and "cannot read" in missing.stderr
    bad = paperboy("parse", str(FIXTURES / "papers.jsonl"), "--format", "pdf", cwd=tmp_path)
    assert bad.returncode == 2 and "unknown format" in bad.stderr


def test_ingest_counts_new_updated_unchanged(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'p.db'}"
    first = paperboy("ingest", str(FIXTURES / "papers.jsonl"), "--database", db, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "total: 3 new, 0 updated, 0 unchanged" in first.stdout
    again = paperboy("ingest", str(FIXTURES / "papers.jsonl"), "--database", db, cwd=tmp_path)
    assert "total: 0 new, 0 updated, 3 unchanged" in again.stdout


def test_ingest_bad_file_fails_without_losing_data(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'p.db'}"
    paperboy("ingest", str(FIXTURES / "papers.jsonl"), "--database", db, cwd=tmp_path)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"title": "fine"}\n{"title": \n')
    result = paperboy("ingest", str(bad), "--database", db, cwd=tmp_path)
    assert result.returncode == 1
    assert "line 2: invalid JSON" in result.stderr
    again = paperboy("ingest", str(FIXTURES / "papers.jsonl"), "--database", db, cwd=tmp_path)
    assert "3 unchanged" in again.stdout


class _FakeHf(BaseHTTPRequestHandler):
    body = b"[]"
    paths: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).paths.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def fake_hf() -> Iterator[str]:
    page = [
        {
            "paper": {
                "id": "2606.00001",
                "title": "Served Locally",
                "summary": "An abstract.",
                "upvotes": 9,
            }
        }
    ]
    _FakeHf.body = json.dumps(page).encode()
    _FakeHf.paths = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeHf)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_fetch_hf_daily_from_a_local_server(tmp_path: Path, fake_hf: str) -> None:
    db = f"sqlite:///{tmp_path / 'p.db'}"
    result = paperboy(
        "fetch",
        "--source",
        "hf-daily",
        "--date",
        "2026-06-12",
        "--database",
        db,
        cwd=tmp_path,
        env={"PAPERBOY_HF_BASE_URL": fake_hf},
    )
    assert result.returncode == 0, result.stderr
    assert "hf-daily [ok]: 1 new, 0 updated, 0 unchanged" in result.stdout
    assert _FakeHf.paths[0].startswith("/api/daily_papers?date=2026-06-12&limit=100&p=0")


def test_fetch_refuses_bad_arguments(tmp_path: Path) -> None:
    assert paperboy("fetch", "--source", "feed", cwd=tmp_path).returncode == 2
    bad_date = paperboy("fetch", "--source", "hf-daily", "--date", "12/06", cwd=tmp_path)
    assert bad_date.returncode == 2 and "YYYY-MM-DD" in bad_date.stderr


def test_invalid_settings_are_reported_not_raised(tmp_path: Path) -> None:
    result = paperboy(
        "ingest",
        str(FIXTURES / "papers.jsonl"),
        cwd=tmp_path,
        env={"PAPERBOY_SOURCES": "hf-daily,myspace"},
    )
    assert result.returncode == 1
    assert "invalid settings" in result.stderr and "myspace" in result.stderr
    assert "Traceback" not in result.stderr


def test_demo_offline_prints_two_digests(tmp_path: Path) -> None:
    result = paperboy("demo", "--offline", "--listings", str(tmp_path / "none"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Source used — offline: the bundled sample listing" in result.stdout
    assert "#rl-lab" in result.stdout and "#llm-systems" in result.stdout
    assert "World Models for Sample-Efficient Robot Learning" in result.stdout
    assert "Sparse Mixture-of-Experts Inference on a Single GPU" in result.stdout
    assert (tmp_path / "paperboy-demo.db").exists()


def test_help_reads_well(tmp_path: Path) -> None:
    result = paperboy("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("parse", "ingest", "fetch", "demo", "run", "db"):
        assert command in result.stdout


def test_rank_json_contract(tmp_path: Path) -> None:
    papers = tmp_path / "papers.jsonl"
    papers.write_text(
        "\n".join(
            json.dumps(p)
            for p in [
                {
                    "id": "a1",
                    "title": "Diffusion Policies for Robot Manipulation",
                    "abstract": "Robot actions from a diffusion model trained on demonstrations.",
                },
                {
                    "id": "b2",
                    "title": "Protein Structure Prediction",
                    "abstract": "Folding proteins.",
                },
                {
                    "id": "c3",
                    "title": "Visuomotor Diffusion Policy Learning",
                    "abstract": "Diffusion policies for visuomotor robot control.",
                },
                {"id": "d4", "title": "Tax Law in the Middle Ages", "abstract": "A legal history."},
            ]
        )
    )
    args = [
        "rank",
        "--papers",
        str(papers),
        "--interest",
        "diffusion policy",
        "--interest",
        "robots",
        "--top",
        "3",
        "--like",
        "c3",
        "--json",
        "--embedder",
        "none",
    ]
    first = paperboy(*args, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    rows = json.loads(first.stdout)
    assert [list(r) for r in rows] == [["id", "title", "score", "why"]] * len(rows)
    assert rows[0]["id"] == "a1" and "c3" not in [r["id"] for r in rows]  # liked: not repeated
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)
    assert rows[0]["why"].startswith("matches “")
    assert paperboy(*args, cwd=tmp_path).stdout == first.stdout  # deterministic
    unknown = paperboy(
        "rank", "--papers", str(papers), "--interest", "x", "--like", "zz", "--json", cwd=tmp_path
    )
    assert unknown.returncode == 2 and "no paper with id zz" in unknown.stderr
    # like:<id> inside an interest names a paper of the file: more like it, not the paper itself.
    arxiv = tmp_path / "arxiv.jsonl"
    arxiv.write_text(
        "\n".join(
            json.dumps({"id": f"2401.0000{n}", "title": title, "abstract": abstract})
            for n, title, abstract in [
                (1, "Diffusion Policies for Robots", "Robot actions from a diffusion policy."),
                (2, "Protein Structure Prediction", "Folding proteins."),
                (3, "Visuomotor Diffusion Policy", "Diffusion policies for robot actions."),
            ]
        )
    )
    like = ["rank", "--papers", str(arxiv), "--json", "--embedder", "none", "--interest"]
    seeded = paperboy(*like, "like:2401.00001", cwd=tmp_path)
    assert seeded.returncode == 0, seeded.stderr
    first_row = json.loads(seeded.stdout)[0]
    assert first_row["id"] == "2401.00003"
    assert first_row["why"] == "similar to “Diffusion Policies for Robots”"
    missing = paperboy(*like, "like:2401.09999", cwd=tmp_path)
    assert missing.returncode == 2 and "no paper with id 2401.09999" in missing.stderr
    bad = paperboy("rank", "--papers", str(papers), "--interest", '"open', "--json", cwd=tmp_path)
    assert bad.returncode == 2 and "unclosed quote" in bad.stderr
    # An oversized interest is refused in one short line, not echoed back whole.
    huge = paperboy(
        "rank", "--papers", str(papers), "--interest", "robot " * 2000, "--json", cwd=tmp_path
    )
    assert huge.returncode == 2 and huge.stdout == ""
    assert "at most 500 characters" in huge.stderr
    assert huge.stderr.count("\n") == 1 and len(huge.stderr) < 200


def test_rank_with_the_embedding_model(tmp_path: Path) -> None:
    result = paperboy(
        "rank",
        "--papers",
        str(FIXTURES / "papers.jsonl"),
        "--interest",
        "arXiv identifiers",
        "--json",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert {r["id"] for r in json.loads(result.stdout)} <= {"2401.12345", "local-7", None}


def test_backfill_fetches_every_day_since(tmp_path: Path, fake_hf: str) -> None:
    from datetime import date, timedelta

    since = (date.today() - timedelta(days=2)).isoformat()
    db = f"sqlite:///{tmp_path / 'p.db'}"
    result = paperboy(
        "backfill",
        "--since",
        since,
        "--database",
        db,
        cwd=tmp_path,
        env={"PAPERBOY_HF_BASE_URL": fake_hf, "PAPERBOY_EMBEDDER": "none"},
    )
    assert result.returncode == 0, result.stderr
    assert "1 new, 0 updated, 2 unchanged; 0 failed days" in result.stdout
    dates = [p.split("date=")[1].split("&")[0] for p in _FakeHf.paths]
    assert dates == [(date.today() - timedelta(days=n)).isoformat() for n in (2, 1, 0)]
    refused = paperboy("backfill", "--since", "2001-01-01", cwd=tmp_path)
    assert refused.returncode == 2 and "within the last year" in refused.stderr
