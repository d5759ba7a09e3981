"""`guidesmith serve`: a real preview server on loopback that follows edits, errors included."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from generator.render.markdown import problems_page, with_problems

GUIDE = "guides/10-first-guide.yml"
PAGE = "10-first-guide/"
# Builds here are quick (cached images, no PDFs), but a loaded machine may be slow.
STARTUP_SECONDS = 60
CHANGE_SECONDS = 20


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, root: Path, port: int, log: Path) -> None:
        self.base = f"http://127.0.0.1:{port}/"
        self.log = log
        guidesmith = Path(sys.executable).parent / "guidesmith"
        self.output = log.open("w")
        self.process = subprocess.Popen(
            [str(guidesmith), "serve", "--config-file", str(root / "mkdocs.yml"),
             "--dev-addr", f"127.0.0.1:{port}"],
            cwd=root, stdout=self.output, stderr=subprocess.STDOUT, start_new_session=True,
        )
        self.client = httpx.Client(timeout=5, trust_env=False)

    def get(self, path: str) -> httpx.Response | None:
        try:
            return self.client.get(self.base + path)
        except httpx.TransportError:
            return None

    def wait_for(self, path: str, seconds: float, check: Callable[[str], bool]) -> str:
        """The page once `check(text)` holds; fails with the server's log after `seconds`."""
        deadline = time.monotonic() + seconds
        text = ""
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            response = self.get(path)
            if response is not None and response.status_code == 200:
                text = response.text
                if check(text):
                    return text
            time.sleep(0.2)
        raise AssertionError(f"{path} did not change in {seconds} s\n{self.log.read_text()}")

    def stop(self) -> None:
        """Ctrl-C, as a user stops it (workers shut down too); killed if it does not stop."""
        self.client.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)  # its own session: it and its workers
                self.process.wait(5)
        self.output.close()


@pytest.fixture
def server(project: Callable[[str], Path], tmp_path: Path) -> Iterator[tuple[Server, Path]]:
    root = project("basic")
    (root / "mkdocs.yml").write_text(
        "site_name: Fixture site\ndocs_dir: guides\ntheme:\n  name: material\n"
        "plugins:\n  - guidesmith:\n      pdf: false\n"
    )
    running = Server(root, free_port(), tmp_path / "serve.log")
    try:
        yield running, root
    finally:
        running.stop()


def edit(root: Path, old: str, new: str) -> None:
    path = root / GUIDE
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_serve_follows_edits_and_shows_errors_on_the_page(server: tuple[Server, Path]) -> None:
    running, root = server
    first = running.wait_for(PAGE, STARTUP_SECONDS, lambda text: 'id="step-1"' in text)
    assert "Open <a" in first and "gs-problems" not in first

    edit(root, "Open [the site]", "Visit [the site]")
    running.wait_for(PAGE, CHANGE_SECONDS, lambda text: "Visit <a" in text)

    edit(root, "crop: [100, 50, 500, 350]", "crop: [100, 50]")
    broken = running.wait_for(PAGE, CHANGE_SECONDS, lambda text: "gs-problems" in text)
    assert "guides/10-first-guide.yml has 1 error: the page below is its last good version" in (
        broken)
    assert ("guides/10-first-guide.yml:15:13: steps[0].image.crop: expected 4 integers "
            "[x1, y1, x2, y2]") in broken
    assert "Visit <a" in broken and 'id="step-3"' in broken  # the last good version stays
    assert broken.index("gs-problems") < broken.index('id="step-1"')

    edit(root, "crop: [100, 50]", "crop: [100, 50, 500, 350]")
    fixed = running.wait_for(PAGE, CHANGE_SECONDS, lambda text: "gs-problems" not in text)
    assert "Visit <a" in fixed

    (root / "guides/07-draft.yml").write_text("title: [Draft\n")
    draft = running.wait_for("07-draft/", CHANGE_SECONDS, lambda text: "gs-problems" in text)
    assert "guides/07-draft.yml has 1 error: fix it to see the guide" in draft
    assert "guides/07-draft.yml:2:1: YAML syntax error" in draft
    assert running.get(PAGE).status_code == 200  # the others still build


def test_serve_follows_the_theme_overrides_and_screenshots_outside_the_docs_folder(
    project: Callable[[str], Path], tmp_path: Path
) -> None:
    root = project("basic")
    (root / "mkdocs.yml").write_text(
        "site_name: Fixture site\ndocs_dir: guides\n"
        "theme:\n  name: material\n  custom_dir: site_overrides\n"
        "plugins:\n  - guidesmith:\n      pdf: false\n"
    )
    overrides = root / "site_overrides/main.html"
    overrides.parent.mkdir()
    overrides.write_text('{% extends "base.html" %}\n'
                         '{% block extrahead %}<meta name="gs-look" content="one">{% endblock %}\n')
    # The first guide's first screenshot lives beside the docs folder, not in it.
    (root / "shots").mkdir()
    (root / "guides/assets/first/01.png").rename(root / "shots/01.png")
    edit(root, "src: assets/first/01.png", "src: ../shots/01.png")
    running = Server(root, free_port(), tmp_path / "serve.log")
    try:
        running.wait_for(PAGE, STARTUP_SECONDS, lambda text: 'content="one"' in text)
        overrides.write_text(overrides.read_text().replace('"one"', '"two"'))
        running.wait_for(PAGE, CHANGE_SECONDS, lambda text: 'content="two"' in text)

        before = running.get(f"{PAGE}step-01.jpg")
        assert before is not None and before.status_code == 200
        Image.new("RGB", (640, 400), "#DC2626").save(root / "shots/01.png")  # all red now
        deadline = time.monotonic() + CHANGE_SECONDS
        while (now := running.get(f"{PAGE}step-01.jpg")) is None or now.content == before.content:
            assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
            time.sleep(0.2)
    finally:
        running.stop()


def test_a_busy_address_is_one_clear_error(project: Callable[[str], Path], tmp_path: Path) -> None:
    root = project("basic")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        running = Server(root, port, tmp_path / "serve.log")
        try:
            code = running.process.wait(STARTUP_SECONDS)
        finally:
            running.stop()
    log = (tmp_path / "serve.log").read_text()
    assert code == 1, log
    assert f"Error: cannot serve on 127.0.0.1:{port}: Address already in use" in log
    assert "Traceback" not in log


def test_errors_go_under_the_title_so_it_stays_the_page_title() -> None:
    page = with_problems("# Title\n\n<div>steps</div>\n", "guides/a.yml",
                         ["guides/a.yml:3:5: steps[0]: <bad>"])
    assert page.startswith("# Title\n\n<div class=\"admonition failure gs-problems\">")
    assert "guides/a.yml:3:5: steps[0]: &lt;bad&gt;" in page
    assert page.endswith("<div>steps</div>\n")
    alone = problems_page("07-draft", "guides/07-draft.yml", ["one", "two"])
    assert alone.startswith("# 07\\-draft\n\n")
    assert "guides/07-draft.yml has 2 errors: fix it to see the guide" in alone
