"""Issue 22's hard cases for the readers in a batch: a huge feed, a feed of 10,000 items, an item without a
body and a feed in two languages: clear records, nothing lost, bounded memory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from test_cli import read_jsonl, run

from beknopt.inputs import discover, read_articles

pytestmark = pytest.mark.usefixtures("restore_torch_threads")

DUTCH = ("De gemeenteraad van Utrecht heeft gisteren ingestemd met een nieuw plan voor het centrum. Volgens de "
         "wethouder komen er meer bomen en minder parkeerplaatsen.")
ENGLISH = ("The city council of Utrecht approved a new plan for the centre yesterday. According to the alderman "
           "there will be more trees and fewer parking spaces in the years ahead.")


def _rss(items: list[tuple[str, str | None]]) -> str:
    body = "".join(f"<item><guid>{guid}</guid><title>Bericht {guid}</title>"
                   + (f"<description>{text}</description>" if text is not None else "") + "</item>"
                   for guid, text in items)
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Feed</title>{body}'
            "</channel></rss>")


def test_a_100_mb_feed_is_one_error_record_read_no_further_than_the_limit(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    huge = src / "groot.rss"
    with open(huge, "wb") as fh:  # sparse: 100 MB on paper, nothing on disk
        fh.truncate(100 * 1024 * 1024)
    (src / "klein.rss").write_text(_rss([("a", DUTCH)]), encoding="utf-8")
    articles = {a.id: a for a in read_articles(discover([str(src)]))}
    assert articles["groot.rss"].error == {"stage": "read", "reason": "too large: 104,857,600 bytes is over the "
                                                                      "--max-bytes limit of 5,000,000"}
    assert articles["a"].error is None and articles["a"].document.source.startswith("De gemeenteraad")


def test_a_feed_of_10000_items_gives_10000_articles_with_their_own_keys(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "feed.rss").write_text(_rss([(f"item-{i}", f"Bericht nummer {i}. {DUTCH}") for i in range(10_000)]),
                                  encoding="utf-8")
    assert os.path.getsize(src / "feed.rss") < 5_000_000
    articles = list(read_articles(discover([str(src)])))
    assert len(articles) == 10_000 and all(a.error is None for a in articles)
    assert [a.id for a in articles[:2]] == ["item-0", "item-1"] and articles[-1].id == "item-9999"
    assert len({a.out_key for a in articles}) == len({a.digest for a in articles}) == 10_000
    assert str(articles[0].out_key) == "feed/item-0"


def test_a_mixed_language_feed_and_an_item_without_body_lose_nothing(tmp_path: Path, capsys, model_args) -> None:
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    (src / "feed.rss").write_text(_rss([("nl-1", DUTCH), ("en-1", ENGLISH), ("leeg", None), ("nl-2", DUTCH)]),
                                  encoding="utf-8")
    code, stdout, _ = run(capsys, "run", str(src), "-o", str(out), "-q", *model_args, "--summarizer", "lead")
    assert code == 1 and stdout.strip().splitlines()[-1] == "2 done, 1 skipped, 1 failed"
    assert [r["id"] for r in read_jsonl(out / "results.jsonl")] == ["nl-1", "nl-2"]
    errors = {e["id"]: e for e in read_jsonl(out / "errors.jsonl")}
    assert errors["en-1"]["outcome"] == "skipped" and errors["en-1"]["stage"] == "language"
    assert errors["leeg"]["reason"] == "feed.rss: rss: item 3 (leeg): no body (looked for content:encoded, description)"


def test_stdin_takes_a_pretty_printed_ninjs_and_newsroom_xml() -> None:
    import io
    import json

    from conftest import DATA

    formats = DATA / "formats"
    item = json.loads((formats / "doc_3.1_004_simple_text_article.nl.json").read_text(encoding="utf-8"))
    stdin = io.BytesIO(json.dumps(item, indent=2).encode("utf-8"))
    (article,) = read_articles(discover(["-"]), stdin=stdin)
    assert article.error is None and article.id == item["uri"]
    assert article.document.metadata["input_format"] == "ninjs"
    feed = (formats / "feed.nl.rss").read_bytes()
    articles = list(read_articles(discover(["-"]), stdin=io.BytesIO(feed)))
    assert [a.id for a in articles] == ["vp-2007-12-03-bali", "https://www.voorbeeldpers.nl/artikel/grand-canyon",
                                        "vp-alleen-kop"]
    assert [a.error is None for a in articles] == [True, True, False]
    # JSONL and plain text on stdin read as before
    lines = b'{"id": "a", "text": "Een zin."}\n{"id": "b", "text": "Nog een zin."}\n'
    assert [a.id for a in read_articles(discover(["-"]), stdin=io.BytesIO(lines))] == ["a", "b"]
    (text,) = read_articles(discover(["-"]), stdin=io.BytesIO(b"<p>Een artikel in HTML.</p>"))
    assert text.id == "stdin" and text.document.source == b"<p>Een artikel in HTML.</p>"
