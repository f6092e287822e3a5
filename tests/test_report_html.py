"""The HTML renderer: one self-contained page, checked as text and as a browser draws it."""

from __future__ import annotations

import html
import json
import re
import shutil
import statistics
import subprocess
from dataclasses import replace
from importlib import resources
from pathlib import Path

import pytest

from advisor.catalog import load_catalog
from advisor.display import speedup_text
from advisor.model import Evidence, Finding, Report
from advisor.report.html import render_html
from advisor.report.load import load_report
from conftest import RECORDED
from conftest import SAMPLE_DIFF as DIFF


def with_diff(diff: str | None) -> Report:
    """The recorded report with ``diff`` as the proposed rewrite of its first finding."""
    report = load_report(RECORDED)
    return replace(report, findings=(replace(report.findings[0], diff=diff), *report.findings[1:]))


def render(report: Report | None = None, **kwargs) -> str:
    return render_html(report or load_report(RECORDED), load_catalog(), **kwargs)


def recorded() -> dict:
    return json.loads(RECORDED.read_text(encoding="utf-8"))


# ----------------------------------------------------------------------------- as text


def test_the_template_ships_inside_the_package():
    templates = resources.files("advisor.report").joinpath("templates")
    assert templates.joinpath("report.html.j2").is_file()


def test_the_page_is_self_contained():
    page = render(with_diff(DIFF))
    assert page.startswith("<!DOCTYPE html>")
    assert "default-src 'none'" in page  # the browser itself refuses any load
    for loader in ("<script", "<link", "<iframe", "<img", "src=", "url(", "@import"):
        assert loader not in page.lower(), loader
    # the only absolute URLs are links to the rule docs, followed only when clicked
    for url in re.findall(r"https?://[^\"'\s<>]+", page):
        assert url.startswith("https://concadvise.readthedocs.io/"), url


def test_text_from_the_report_is_escaped():
    finding = Finding(
        "CA101", "<b>.py", 1, 1, "<script>alert(1)</script> in `x<y`", "io", "thread_pool", "safe"
    )
    page = render(Report("0.1.0", findings=(replace(finding, diff="+<img src=x>\n"),)))
    assert "<script>alert" not in page and "<img src=x>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; in <code>x&lt;y</code>" in page
    assert "<code>&lt;b&gt;.py:1</code>" in page


def test_a_loop_chart_only_where_there_is_evidence():
    page = render()
    charts = re.findall(r'data-chart="(\w+)" data-finding="(\d+)"', page)
    assert charts == [("breakdown", "0"), ("timings", "0"), ("breakdown", "1"), ("breakdown", "3")]


def test_a_static_report_renders_without_charts():
    report = replace(load_report(RECORDED), run=None, verification=())
    page = render(report)
    assert "static check (nothing was run)" in page
    assert 'data-chart="timings"' not in page
    assert render(Report("0.1.0")).count("No findings.") == 1


def test_a_rolled_back_rewrite_without_timings_after_is_shown_as_such():
    report = load_report(RECORDED)
    failed = replace(report.verification[0], after_s=(), kept=False, reason="the rewrite crashed")
    page = render(replace(report, verification=(failed,)))
    assert "Rolled back: the rewrite crashed." in page
    assert 'data-run="after"' not in page


# ----------------------------------------------------------------------------- in a browser

# Appended to a copy of the page: reads what the browser laid out and drew, into the DOM.
PROBE = """<script>
(function () {
  const out = {text: document.body.innerText, charts: []};
  for (const fig of document.querySelectorAll("figure.chart")) {
    const svg = fig.querySelector("svg").getBoundingClientRect();
    const bars = [...fig.querySelectorAll("svg rect[data-part], svg rect[data-run]")].map(r => {
      const box = r.getBoundingClientRect();
      const style = getComputedStyle(r);
      const visible = style.visibility === "visible" && style.display !== "none";
      return {key: r.dataset.part || r.dataset.run, width: box.width, height: box.height,
              fill: style.fill, visible: visible};
    });
    out.charts.push({chart: fig.dataset.chart, finding: Number(fig.dataset.finding),
                     width: svg.width, height: svg.height, text: fig.innerText, bars: bars});
  }
  const pre = document.createElement("pre");
  pre.id = "probe";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>"""


def find_browser() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if found := shutil.which(name):
            return found
    return None


BROWSER = find_browser()
needs_browser = pytest.mark.skipif(
    BROWSER is None,
    reason="no headless browser: install Chromium (Debian package `chromium`) to run this test",
)


def chromium(page: Path, tmp_path: Path, *args: str) -> str:
    assert BROWSER is not None
    profile = tmp_path / "chromium-profile"
    profile.mkdir(exist_ok=True)
    done = subprocess.run(
        [
            BROWSER,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            *args,
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture(scope="module")
def drawn(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """What Chromium laid out for the recorded report: visible text and chart geometry."""
    if BROWSER is None:
        pytest.skip("no headless browser")
    tmp_path = tmp_path_factory.mktemp("html")
    page = render(with_diff(DIFF))
    (tmp_path / "report.html").write_text(page, encoding="utf-8")
    # The probe is a script, which the page's own policy forbids: lift it for the copy only.
    probed = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page)
    probed = probed.replace("</body>", PROBE + "</body>")
    (tmp_path / "probed.html").write_text(probed, encoding="utf-8")
    dom = chromium(tmp_path / "probed.html", tmp_path, "--dump-dom")
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.DOTALL)
    assert found, "the probe did not run: " + dom[-500:]
    return json.loads(html.unescape(found[1]))


def charts_of(drawn: dict, chart: str, finding: int) -> dict:
    (found,) = (c for c in drawn["charts"] if c["chart"] == chart and c["finding"] == finding)
    return found


@needs_browser
def test_each_loops_time_breakdown_is_drawn_in_proportion(drawn):
    data = recorded()
    for index in (0, 1, 3):
        evidence = data["findings"][index]["evidence"]
        chart = charts_of(drawn, "breakdown", index)
        bars = {bar["key"]: bar for bar in chart["bars"]}
        assert set(bars) == {"waiting", "python", "native"}
        assert all(bar["visible"] and bar["height"] > 20 for bar in bars.values())
        fills = {bar["fill"] for bar in bars.values()}
        assert len(fills) == 3 and "none" not in fills  # three distinct colours
        total = sum(bar["width"] for bar in bars.values())
        assert total > 300, "the bar is too small to read"
        for part, key in (
            ("waiting", "waiting"),
            ("python", "cpu_python"),
            ("native", "cpu_native"),
        ):
            assert bars[part]["width"] / total == pytest.approx(evidence[key], abs=0.01)
            label = {"waiting": "Waiting", "python": "Python", "native": "Native"}[part]
            seconds = evidence[key] * evidence["wall_s"]
            assert f"{label} {evidence[key]:.1%} · {seconds:.2f} s" in chart["text"]


@needs_browser
def test_the_before_after_bars_match_the_measured_timings(drawn):
    verification = recorded()["verification"][0]
    before = statistics.median(verification["before_s"])
    after = statistics.median(verification["after_s"])
    chart = charts_of(drawn, "timings", verification["finding"])
    bars = {bar["key"]: bar for bar in chart["bars"]}
    assert bars["before"]["fill"] != bars["after"]["fill"]
    assert bars["before"]["width"] > 300
    assert bars["before"]["width"] / bars["after"]["width"] == pytest.approx(
        before / after, rel=0.02
    )
    assert f"{before:.2f} s" in chart["text"] and f"{after:.2f} s" in chart["text"]
    assert f"{speedup_text(verification['speedup'], 2)} faster" in drawn["text"]


@needs_browser
def test_the_visible_numbers_match_the_json(drawn):
    data = recorded()
    text = drawn["text"]
    run = data["run"]
    assert f"profiled with {run['profiler']} · {run['wall_s']:.2f} s wall" in text
    for index, finding in enumerate(data["findings"]):
        assert finding["path"] in text
        if finding["predicted_speedup"]:
            assert speedup_text(finding["predicted_speedup"]) in text
        if finding["evidence"]:
            share = f"{finding['evidence']['share_of_run']:.0%}"
            assert f"\t{share}\t" in text, f"finding {index}: share {share} not in the table"
    for reason in data["findings"][1]["reasons"]:
        assert reason.replace("`", "") in text
    assert "+    with ThreadPoolExecutor(max_workers=19) as executor:" in text
    assert data["errors"][0]["message"] in text


@needs_browser
def test_the_page_as_drawn_is_a_real_screenshot(tmp_path):
    page = tmp_path / "report.html"
    page.write_text(render(with_diff(DIFF)), encoding="utf-8")
    shot = tmp_path / "report.png"
    chromium(page, tmp_path, f"--screenshot={shot}", "--window-size=1280,2000")
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1280, 2000)


def test_evidence_without_a_run_still_renders():
    finding = Finding(
        "CA103",
        "hash.py",
        4,
        5,
        "m",
        "native",
        "thread_pool",
        "safe",
        evidence=Evidence(1.0, 0.5, 0.1, 0.8, 0.1),
    )
    page = render(Report("0.1.0", findings=(finding,)))
    assert "Native <b>80.0%</b> · 0.80 s" in page
