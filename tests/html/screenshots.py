"""Regenerate the report's screenshots in docs/ (linked from the README) with headless Chromium:
    .venv/bin/python tests/html/screenshots.py
The reports are those of the samples, made by the real CLI."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from browser import Browser

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def report(session: Path, out: Path) -> Path:
    subprocess.run([sys.executable, "-m", "flowinsight", "export", str(session), "-o", str(out)],
                   check=True, cwd=ROOT)
    return out


def shot(browser: Browser, page: Path, name: str, tab: str, script: str = "") -> None:
    browser.open(page)
    browser.eval(f"document.querySelector('nav button[data-tab={tab}]').click()")
    if script:
        browser.eval(script)
    time.sleep(0.3)
    if browser.errors():
        raise SystemExit(f"{name}: {browser.errors()}")
    browser.screenshot(DOCS / name)
    print("wrote", DOCS / name)


def click_node(view: str, label: str) -> str:
    """Script: click the node of `view` whose first label line is `label`."""
    return (f"[...document.querySelectorAll('#{view} g.node')].find((g) => "
            f"g.querySelector('tspan').textContent === {label!r})"
            ".dispatchEvent(new MouseEvent('click', {bubbles: true}))")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp_dir, Browser(1400, 860) as browser:
        tmp = Path(tmp_dir)
        sage = report(ROOT / "samples" / "recorded" / "sage_pipeline", tmp / "sage.html")
        lattice = report(ROOT / "samples" / "lattice_workflow", tmp / "lattice.html")
        with tarfile.open(ROOT / "samples" / "scale_15k.tar.gz") as tar:
            tar.extractall(tmp / "scale", filter="data")
        scale = report(tmp / "scale", tmp / "scale.html")
        shot(browser, sage, "report-overview.png", "overview")
        shot(browser, sage, "report-call-graph.png", "call", click_node("call", "RayTask 'source'"))
        shot(browser, sage, "report-data-flow.png", "data", click_node("data", "RayTask 'map_0'"))
        shot(browser, scale, "report-timeline.png", "timeline")
        shot(browser, lattice, "report-failure.png", "call", click_node("call", "run_code_task"))


if __name__ == "__main__":
    main()
