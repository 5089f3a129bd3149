"""The HTML report as a person sees it: opened from disk in headless Chromium (Debian's, driven by Playwright).

String checks cannot tell whether the headline is what a reader meets first, whether a toggle opens, or whether
summary, reference and source really sit side by side, so these tests ask the browser's layout. Each also keeps
a screenshot under its ``tmp_path`` for a person to look at. Without ``/usr/bin/chromium`` (``apt-get install
chromium``) or the ``playwright`` package they skip; Playwright's own browser downloads are never used.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import require_chromium

from beknopt.eval import evaluate, write_reports
from beknopt.eval.cli import main

DATA = Path(__file__).parent / "data" / "eval"
VIEWPORT = {"width": 1280, "height": 900}

require_chromium()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A page that fails the test on any request that is not the report file itself, or on any dialog."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    yield page
    context.close()
    assert all(url.startswith("file://") for url in fetched), fetched  # offline: nothing from a network
    assert len(fetched) <= 1 and dialogs == []


def _open(page: Any, html: Path) -> None:
    page.goto(html.as_uri())
    page.wait_for_load_state("load")


def _box(locator: Any) -> dict[str, float]:
    box = locator.bounding_box()
    assert box is not None, "element is not visible"
    return box


def _screenshot(page: Any, path: Path) -> Path:
    page.screenshot(path=str(path), full_page=True)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width == VIEWPORT["width"] and height > VIEWPORT["height"]
    return path


def _eval(tmp_path: Path, *args: str) -> Path:
    out = tmp_path / "report"
    assert main([*args, "--bootstrap", "100", "--report", "html", "--out", str(out)]) == 0
    return out / "report.html"


def test_summary_report_in_chromium(page: Any, tmp_path: Path) -> None:
    html = _eval(tmp_path, "-p", str(DATA / "summary.pred_a.jsonl"), "-r", str(DATA / "summary.ref.jsonl"),
                 "--source", str(DATA / "summary.src.jsonl"))
    _open(page, html)

    # the headline table is the first table: one row per metric, F-scores with intervals
    first = page.locator("table").first
    assert first.get_attribute("class") == "headline"
    metrics = first.locator("tr[data-metric]")
    assert [metrics.nth(i).get_attribute("data-metric") for i in range(metrics.count())] == [
        "rouge1_f", "rouge2_f", "rougeL_f", "rougeLsum_f"]
    assert "95% CI" in first.inner_text() and "recall" not in first.inner_text().lower()
    assert first.locator("td.ci").first.inner_text().startswith("[")

    # precision and recall sit behind a toggle that opens when clicked
    toggle = page.locator("details.pr").first
    pr_table = toggle.locator("table")
    assert not pr_table.is_visible()
    toggle.locator("summary").click()
    assert pr_table.is_visible() and "Recall" in pr_table.inner_text()
    assert toggle.evaluate("d => d.open")

    # every score table has its signatures right under it, collapsed
    tables = page.locator("table.headline, table.diagnostics")
    assert tables.count() == 2
    for i in range(tables.count()):
        sig = tables.nth(i).locator("xpath=following-sibling::details[contains(@class, 'sig')][1]")
        assert sig.count() == 1 and not sig.locator("table").is_visible()
    assert page.locator("details.sig code:visible").count() == 0

    # plot titles match their axes, and axes have ticks between their ends
    length_plot = page.locator("svg", has_text="rougeLsum_f vs source length")
    assert length_plot.count() == 1 and "source length (words)" in (length_plot.text_content() or "")
    assert page.locator("svg", has_text="article length").count() == 0

    # per document: summary, reference and source side by side, the invented number marked in the summary
    doc = page.locator("article.doc[data-id='nos-004']")
    doc.scroll_into_view_if_needed()
    pred, ref, src = (_box(doc.locator(f".col.{kind}")) for kind in ("pred", "ref", "src"))
    assert abs(pred["y"] - ref["y"]) < 2 and abs(ref["y"] - src["y"]) < 2
    assert pred["x"] + pred["width"] <= ref["x"] + 1 and ref["x"] + ref["width"] <= src["x"] + 1
    assert doc.locator(".col.pred mark.flag").inner_text() == "7"
    assert "number not in source: 7" in doc.locator(".col.pred .flags").inner_text()
    assert "Zoë Bakker (34)" in doc.locator(".col.src").inner_text()
    page.evaluate("window.scrollTo(0, 0)")
    _screenshot(page, tmp_path / "summary-report.png")


def test_compare_report_puts_the_paired_table_first(page: Any, tmp_path: Path) -> None:
    html = _eval(tmp_path, "--compare", str(DATA / "summary.pred_a.jsonl"), str(DATA / "summary.pred_b.jsonl"),
                 "-r", str(DATA / "summary.ref.jsonl"), "--source", str(DATA / "summary.src.jsonl"),
                 "--names", "full", "short")
    _open(page, html)
    first = page.locator("table").first
    assert "paired" in (first.get_attribute("class") or "").split()
    assert page.locator("h2").first.inner_text() == "Paired bootstrap: short − full"
    assert first.locator("tr[data-metric='rouge1_f'] td").last.inner_text() == "full"  # clearly better
    headings = page.locator("h2").all_inner_texts()
    assert headings.index("Paired bootstrap: short − full") < headings.index("full") < headings.index("short")
    doc = page.locator("article.doc[data-id='nos-001']")
    doc.scroll_into_view_if_needed()
    cols = doc.locator(".cols > .col")
    assert cols.count() == 4  # both summaries, the reference, one source (the same for both systems)
    boxes = [_box(cols.nth(i)) for i in range(4)]
    assert len({round(b["y"]) for b in boxes}) == 1 and [b["x"] for b in boxes] == sorted(b["x"] for b in boxes)
    page.evaluate("window.scrollTo(0, 0)")
    _screenshot(page, tmp_path / "compare-report.png")


def test_data_is_shown_as_text_never_run(page: Any, tmp_path: Path) -> None:
    nasty = "<img src=x onerror=alert(1)><script>alert(2)</script>"
    report = evaluate([f"Rutte {nasty} met 7 farmers.", "Fine."], [f"Rutte {nasty}.", "Fine."],
                      sources=[f"Rutte {nasty} met farmers.", "Fine."], ids=[f"id-{nasty}", "ok'\"&"],
                      name=f"sys {nasty}", n_bootstrap=10)
    html = write_reports(report, tmp_path, ["html"])[0]
    _open(page, html)
    assert page.locator("body img, body script, body iframe").count() == 0
    doc = page.locator("article.doc").first
    assert doc.get_attribute("data-id") == f"id-{nasty}"
    for kind in ("pred", "ref", "src"):
        assert nasty in doc.locator(f".col.{kind} .text").inner_text()
    assert page.locator("article.doc").nth(1).get_attribute("data-id") == "ok'\"&"


def test_human_agreement_page_shows_heat_maps_and_the_system_scatter(page: Any, tmp_path: Path) -> None:
    from beknopt.eval.human import evaluate_human
    from beknopt.eval.human_report import write_human_reports

    summeval = Path(__file__).parent / "data" / "summeval"
    report = evaluate_human(summeval / "human.jsonl", sources=summeval / "sources.jsonl", n_bootstrap=20)
    (html,) = write_human_reports(report, tmp_path, ["html"])
    _open(page, html)
    summary_map = page.locator('table.heatmap[data-level="summary"]')
    assert summary_map.locator("tr").count() == 1 + 3  # header + support, numbers, names
    cell = summary_map.locator("tr").nth(1).locator("td").nth(1)  # support x consistency
    assert cell.inner_text().startswith("0.451")
    assert "Spearman 0.451" in cell.get_attribute("title")
    colour = cell.evaluate("e => getComputedStyle(e).backgroundColor")
    assert colour != "rgba(0, 0, 0, 0)" and colour != "rgb(255, 255, 255)"  # coloured by strength
    scatter = page.locator("figure svg")
    assert scatter.locator("circle").count() == 16  # one point per system
    assert _box(summary_map)["y"] < _box(scatter)["y"]  # the answer first, the detail after
    _screenshot(page, tmp_path / "human.png")
