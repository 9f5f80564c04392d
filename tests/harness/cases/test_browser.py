"""The HTML report in a real browser: headless Chromium (Debian's ``chromium`` package, driven by
Playwright, which never downloads a browser of its own here) opens a shipped case's report and
finds the timeline, the quarantine span, a failed expectation's diff and the per-object reason
rendered and visible. The screenshot is kept in the test's tmp path (printed on the way).

CI installs the browser (``.ci/run``); elsewhere the test skips and says how to get it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from harness.cases.loader import load_case
from harness.cases.report import html_report
from harness.cases.runner import run_case

CASES = Path(__file__).resolve().parents[3] / "scenarios" / "cases"
CHROMIUM = "/usr/bin/chromium"
# As root and on a closed network: no sandbox, and none of Chromium's background connections.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _browser_or_skip() -> None:
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.skip(
            "no Chromium at /usr/bin/chromium: install Debian's package (apt-get install -y chromium)"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("the playwright package is not installed (pip install -e '.[test]')")


def test_the_report_renders_in_chromium(tmp_path: Path) -> None:
    _browser_or_skip()
    from playwright.sync_api import sync_playwright

    case = load_case(CASES / "deletion_threshold.yaml")
    # One expectation made wrong, so the page has a failed expectation's diff to show.
    case.expect["job"]["code"] = "Quarantine"
    result = run_case(case)
    assert not result.passed
    page_file = tmp_path / "deletion_threshold.html"
    page_file.write_text(html_report(result), encoding="utf-8")
    shot = tmp_path / "deletion_threshold.png"

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"),
            headless=True,
            args=ARGS,
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(page_file.as_uri())
            page.screenshot(path=str(shot))
            print(f"screenshot: {shot}")

            timeline = page.locator("svg.timeline")
            assert timeline.is_visible()
            assert timeline.locator("g.cycle").count() == 3
            box = timeline.bounding_box()
            assert box is not None and box["width"] > 300 and box["y"] < 900  # first screen

            span = page.locator("g.span-quarantine rect")
            assert span.is_visible()
            span_box = span.bounding_box()
            assert span_box is not None and span_box["width"] > 20
            label = page.locator("g.span-quarantine text")
            assert "TooManyDeletes since 2026-01-05 09:40" in (label.text_content() or "")
            assert label.is_visible()

            diff = page.locator("#failed ~ .check.fail table.diff").first
            assert diff.is_visible()
            cells = diff.locator("td").all_inner_texts()
            assert cells == ["code", "Quarantine", "Active"]

            reason = page.locator("#why ~ .reason li", has_text="accidental deletions threshold")
            assert reason.first.is_visible()
            why = page.locator("#why ~ .reason .why").first
            assert why.is_visible() and why.inner_text()
            assert page.locator("td.reason", has_text="threshold of 30").first.is_visible()
        finally:
            browser.close()
    assert shot.stat().st_size > 10_000
