"""`make bench`, capture part: `guidesmith capture` against Playwright alone, in one run.

A 10-step guide over the demo app (demo/app/, served on 127.0.0.1) is captured by
`guidesmith capture`, and the same 10 states are visited and screenshotted by a plain
Playwright script (this file, run with --baseline): the same browser, context settings and
screenshot options, each PNG written where Chromium makes it. Both run as commands, so both
pay Python's start and the browser's launch. Rounds alternate; the ratios are per round.

    python scripts/bench_capture.py                    # the measurement alone
    python scripts/bench_capture.py --baseline URL DIR # the plain Playwright script
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import tempfile
from pathlib import Path

from benchutil import GUIDESMITH, REPO, print_rounds, ratio_line, run_timed

CHROMIUM = "/usr/bin/chromium"
VIEWPORT, SCALE = (1280, 800), 2
ROUNDS = int(os.environ.get("GUIDESMITH_BENCH_ROUNDS", "3"))
PASSWORD = "bench-password"
# (action, selector, value) of each state: the guide's steps and the baseline's visits.
STATES: list[tuple[str, str, str | None]] = [
    ("goto", "/", None),
    ("fill", "#email", "ada@example.com"),
    ("fill", "#password", "${BENCH_PASSWORD}"),
    ("click", "#sign-in", None),
    ("click", "#new-project", None),
    ("fill", "#project-name", "demo"),
    ("select", "#region", "eu-west"),
    ("check", "#private", None),
    ("click", "#create", None),
    ("click", "#settings", None),
]


def guide_text(url: str) -> str:
    """The 10-step guide, one step a state."""
    lines = ["title: Bench capture", "capture:", f"  url: {url}",
             f"  viewport: [{VIEWPORT[0]}, {VIEWPORT[1]}]", f"  scale: {SCALE}", "steps:"]
    for number, (action, selector, value) in enumerate(STATES, start=1):
        target = f'{{"{selector}": "{value}"}}' if value is not None else f'"{selector}"'
        lines += [f"  - text: State {number}", f"    capture: {{{action}: {target}}}"]
    return "\n".join(lines) + "\n"


def baseline(url: str, out: Path) -> None:
    """Playwright alone: visit the 10 states and screenshot each, nothing else."""
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            # capture.browser.BROWSER_ARGS, written out: importing guidesmith here would
            # charge its imports to the baseline.
            executable_path=CHROMIUM, headless=True,
            args=["--disable-gpu", "--disable-background-networking"])
        context = browser.new_context(
            viewport={"width": VIEWPORT[0], "height": VIEWPORT[1]}, device_scale_factor=SCALE,
            color_scheme="light", locale="en-US", timezone_id="UTC", reduced_motion="reduce")
        page = context.new_page()
        page.goto(url)
        for number, (action, selector, value) in enumerate(STATES, start=1):
            if action == "goto":
                page.goto(url.rstrip("/") + selector)
            page.screenshot(path=out / f"{number:02d}.png", animations="disabled", caret="hide")
            if action == "fill":
                page.fill(selector, PASSWORD if value and value.startswith("$") else value or "")
            elif action == "select":
                page.select_option(selector, value)
            elif action == "check":
                page.check(selector)
            elif action == "click":
                page.click(selector)
        browser.close()


def _serving() -> object:
    spec = importlib.util.spec_from_file_location("demo_serve", REPO / "demo/serve.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.serving(REPO / "demo/app")


def measure() -> None:
    """Print each round's times and the ratios to the Playwright baseline."""
    work = Path(tempfile.mkdtemp(prefix="guidesmith-bench-capture-"))
    env = {**os.environ, "BENCH_PASSWORD": PASSWORD}
    rounds: list[dict[str, float]] = []
    try:
        with _serving() as url:
            (work / "guides").mkdir()
            (work / "mkdocs.yml").write_text("site_name: Bench\ndocs_dir: guides\n"
                                             "plugins:\n  - guidesmith\n")
            (work / "guides/bench.yml").write_text(guide_text(url))
            # As `make capture` runs it: the guide named, the browser given.
            capture = [GUIDESMITH, "capture", "guides/bench.yml", "--browser", CHROMIUM]
            print(f"capture: a {len(STATES)}-step guide over the demo app at {url}, "
                  f"{VIEWPORT[0]}x{VIEWPORT[1]} CSS pixels at scale {SCALE}; {ROUNDS} rounds")
            for _ in range(ROUNDS):
                shutil.rmtree(work / "guides/assets", ignore_errors=True)
                shutil.rmtree(work / "baseline", ignore_errors=True)
                times = {
                    "playwright": run_timed([sys.executable, __file__, "--baseline", url,
                                             str(work / "baseline")], work, env)[0],
                    "capture": run_timed(capture, work, env)[0],
                    "again": run_timed(capture, work, env)[0],
                    "check": run_timed([*capture, "--check"], work, env)[0],
                }
                rounds.append(times)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print()
    names = {
        "playwright": "5 Playwright alone: 10 states, 10 screenshots",
        "capture": "6 guidesmith capture, first (10 written)",
        "again": "7 guidesmith capture again (nothing changed)",
        "check": "8 guidesmith capture --check",
    }
    print_rounds({name: [r[key] for r in rounds] for key, name in names.items()})
    print()
    for key in ("capture", "again", "check"):
        ratios = [r[key] / r["playwright"] for r in rounds]
        print(ratio_line(f"{key + ' / playwright':22}", ratios,
                         "1.50" if key == "capture" else ""))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--baseline"]:
        baseline(sys.argv[2], Path(sys.argv[3]))
    else:
        measure()
