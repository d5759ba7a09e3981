"""download: a guide's remote screenshots and markers copied into guides/assets/<slug>/,
the guide rewritten in place with every comment and every other byte kept; and
`guidesmith download` / `guidesmith import --download` doing it through one function."""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import FIXTURES, cli
from PIL import Image
from pytest_httpserver import HTTPServer

from generator.download import download_guide
from generator.fetch import Fetcher, FetchSettings
from generator.loader import load_guide


def encoded(colour: str, fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(out, fmt)
    return out.getvalue()


JPEG = encoded("#3B82F6", "JPEG")
PNG = encoded("#10B981", "PNG")
MARKER = encoded("#FB923C", "PNG")

# A guide as an author keeps it: comments, a flow-style image, a block-style one, one given
# as a whole cloudimg URL, a plain URL, a local file, Scribe's marker in image_defaults.
GUIDE = """\
# yaml-language-server: $schema=../.guidesmith/guide.schema.json
# Our onboarding guide: keep the steps short!
title: Served guide
image_defaults:
  width: 20
  marker: {{src: "{base}/images/watermarks/FB923C_standard.png", gravity: northwest}}

steps:
  # The first screen everybody sees.
  - text: Log in
    image:
      src: {base}/files/one/ascreenshot.jpeg   # from Scribe
      crop: [0, 0, 40, 30]
      marker: {{pad: [1, 2]}}
  - text: Same screen, other button
    image: {{src: "{base}/files/one/ascreenshot.jpeg", marker: {{pad: [3, 4]}}}}
  - section: Settings
  - text: A whole cloudimg URL
    image: "https://demo42.cloudimg.io/{base}/files/two/shot?tl_px=0,0&br_px=40,30&width=20&wat=1&wat_gravity=northwest&wat_url={base}/marks/22C55E_standard.png&wat_pad=5,6"
  - text: A plain URL
    image: {base}/files/gone.png
  - text: Already here
    image:
      src: assets/local.png
      marker: null
"""

EXPECTED = """\
# yaml-language-server: $schema=../.guidesmith/guide.schema.json
# Our onboarding guide: keep the steps short!
title: Served guide
image_defaults:
  width: 20
  marker: {{src: assets/09-served/FB923C_standard.png, gravity: northwest}}

steps:
  # The first screen everybody sees.
  - text: Log in
    image:
      src: assets/09-served/01.jpeg   # from Scribe
      origin: {base}/files/one/ascreenshot.jpeg
      crop: [0, 0, 40, 30]
      marker: {{pad: [1, 2]}}
  - text: Same screen, other button
    image: {{src: assets/09-served/01.jpeg, origin: {base}/files/one/ascreenshot.jpeg, \
marker: {{pad: [3, 4]}}}}
  - section: Settings
  - text: A whole cloudimg URL
    image:
      src: assets/09-served/03.png
      origin: {base}/files/two/shot
      crop: [0, 0, 40, 30]
      marker:
        src: assets/09-served/22C55E_standard.png
        pad: [5, 6]
  - text: A plain URL
    image: {base}/files/gone.png
  - text: Already here
    image:
      src: assets/local.png
      marker: null
"""


@pytest.fixture
def served(httpserver: HTTPServer, tmp_path: Path) -> tuple[Path, str]:
    """A project whose guide's images are on the local server (gone.png is a 404)."""
    httpserver.expect_request("/files/one/ascreenshot.jpeg").respond_with_data(
        JPEG, content_type="image/jpeg")
    httpserver.expect_request("/files/two/shot").respond_with_data(PNG, content_type="image/png")
    httpserver.expect_request("/images/watermarks/FB923C_standard.png").respond_with_data(
        MARKER, content_type="image/png")
    httpserver.expect_request("/marks/22C55E_standard.png").respond_with_data(
        MARKER, content_type="image/png")
    httpserver.expect_request("/files/gone.png").respond_with_data("gone", status=404)
    root = tmp_path / "project"
    (root / "guides" / "assets").mkdir(parents=True)
    (root / "guides" / "assets" / "local.png").write_bytes(PNG)
    (root / "mkdocs.yml").write_text(
        "site_name: S\ndocs_dir: guides\ntheme:\n  name: material\nplugins:\n  - guidesmith\n")
    base = httpserver.url_for("").rstrip("/")
    (root / "guides" / "09-served.yml").write_text(GUIDE.format(base=base))
    return root, base


@pytest.fixture
def fetcher(served: tuple[Path, str]) -> Iterator[Fetcher]:
    root, _ = served
    with Fetcher(root / ".cache" / "guidesmith", root, FetchSettings(backoff=0.01)) as made:
        yield made


def test_remote_images_are_copied_and_the_guide_edited_in_place(
    served: tuple[Path, str], fetcher: Fetcher, httpserver: HTTPServer,
) -> None:
    root, base = served
    path = root / "guides" / "09-served.yml"

    result = download_guide(path, fetcher, root)

    assert path.read_text() == EXPECTED.format(base=base)
    folder = root / "guides" / "assets" / "09-served"
    assert sorted(p.name for p in folder.iterdir()) == [
        "01.jpeg", "03.png", "22C55E_standard.png", "FB923C_standard.png"]
    assert (folder / "01.jpeg").read_bytes() == JPEG
    assert (result.screenshots, result.markers, result.folder) == (2, 2, folder)
    [problem] = result.problems
    assert problem.text() == (
        f"guides/09-served.yml:21:12: steps[4].image (step 4): not downloaded: "
        f"HTTP 404 Not Found for {base}/files/gone.png")
    assert (problem.cause, problem.host) == ("http", "localhost")
    # Each URL was asked for once, though two steps share a screenshot.
    assert sorted(r.path for r, _ in httpserver.log) == [
        "/files/gone.png", "/files/one/ascreenshot.jpeg", "/files/two/shot",
        "/images/watermarks/FB923C_standard.png", "/marks/22C55E_standard.png"]


def test_the_rewritten_guide_renders_the_same_images(
    served: tuple[Path, str], fetcher: Fetcher,
) -> None:
    root, _ = served
    path = root / "guides" / "09-served.yml"
    before = load_guide(path, root).guide

    download_guide(path, fetcher, root)

    after = load_guide(path, root).guide
    for old, new in zip(before.steps, after.steps, strict=True):
        old_image, new_image = getattr(old, "image", None), getattr(new, "image", None)
        if old_image is None:
            continue
        assert new_image is not None
        assert new_image.model_dump(exclude={"src", "origin", "marker"}) == old_image.model_dump(
            exclude={"src", "origin", "marker"})
        if old_image.marker is not None:
            assert new_image.marker is not None
            assert new_image.marker.model_dump(exclude={"src"}) == old_image.marker.model_dump(
                exclude={"src"})


def test_a_second_run_changes_nothing_and_fetches_only_what_failed(
    served: tuple[Path, str], fetcher: Fetcher, httpserver: HTTPServer,
) -> None:
    root, _ = served
    path = root / "guides" / "09-served.yml"
    download_guide(path, fetcher, root)
    text, asked = path.read_bytes(), len(httpserver.log)

    result = download_guide(path, fetcher, root)

    assert path.read_bytes() == text
    assert (result.screenshots, result.markers, len(result.problems)) == (0, 0, 1)
    assert [r.path for r, _ in httpserver.log[asked:]] == ["/files/gone.png"]


def test_a_file_of_the_same_name_is_not_overwritten(
    served: tuple[Path, str], fetcher: Fetcher,
) -> None:
    root, _ = served
    folder = root / "guides" / "assets" / "09-served"
    folder.mkdir()
    (folder / "01.jpeg").write_bytes(b"the author's own file")

    download_guide(root / "guides" / "09-served.yml", fetcher, root)

    assert (folder / "01.jpeg").read_bytes() == b"the author's own file"
    assert (folder / "01-2.jpeg").read_bytes() == JPEG
    assert "src: assets/09-served/01-2.jpeg" in (root / "guides" / "09-served.yml").read_text()


def test_a_project_built_once_is_made_independent_offline(
    served: tuple[Path, str], httpserver: HTTPServer,
) -> None:
    root, base = served
    cache = root / ".cache" / "guidesmith"
    with Fetcher(cache, root) as online:  # what a build did: the downloads are cached
        for url in ("/files/one/ascreenshot.jpeg", "/files/two/shot",
                    "/images/watermarks/FB923C_standard.png", "/marks/22C55E_standard.png"):
            online.read(base + url, root)
    asked = len(httpserver.log)

    with Fetcher(cache, root, FetchSettings(offline=True)) as offline:
        result = download_guide(root / "guides" / "09-served.yml", offline, root)

    assert (result.screenshots, result.markers) == (2, 2)
    assert len(httpserver.log) == asked
    [problem] = result.problems
    assert problem.cause == "offline"


# -- the commands --------------------------------------------------------------------------


def test_guidesmith_download_reports_what_it_did_and_what_failed(
    served: tuple[Path, str],
) -> None:
    root, base = served

    code, lines = cli("download", "--config-file", str(root / "mkdocs.yml"))

    assert code == 1
    assert lines[0] == (
        "guides/09-served.yml: 2 screenshot(s) and 2 marker(s) copied into "
        "guides/assets/09-served/")
    assert lines[1] == (
        f"guides/09-served.yml:21:12: steps[4].image (step 4): not downloaded: "
        f"HTTP 404 Not Found for {base}/files/gone.png")
    assert lines[-1] == (
        "Error: 1 image(s) could not be downloaded: their steps still point at their URLs; "
        "run `guidesmith download` again when the server answers, or fix the URLs")


def test_guidesmith_download_with_nothing_to_do(served: tuple[Path, str]) -> None:
    root, base = served
    guide = root / "guides" / "09-served.yml"
    guide.write_text(guide.read_text().replace(f"image: {base}/files/gone.png\n",
                                               "image: assets/local.png\n"))
    assert cli("download", "--config-file", str(root / "mkdocs.yml"))[0] == 0

    code, lines = cli("download", "--config-file", str(root / "mkdocs.yml"))

    assert (code, lines) == (0, [
        "Nothing to download: every screenshot and marker of the guides is in the project."])


EXPORT = """\
# 09.Served guide

1\\. One

![](https://demo42.cloudimg.io/{base}/files/one/ascreenshot.jpeg?tl_px=0,0&br_px=40,30&width=20&wat=1&wat_gravity=northwest&wat_url={base}/images/watermarks/FB923C_standard.png&wat_pad=1,2)

2\\. Two

![](https://demo42.cloudimg.io/{base}/files/two/shot?tl_px=0,0&br_px=40,30&width=20&wat=1&wat_gravity=northwest&wat_url={base}/images/watermarks/FB923C_standard.png&wat_pad=3,4)
"""


def test_import_download_is_import_then_download(
    served: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    root, base = served
    export = tmp_path / "09.served_guide.md"
    export.write_text(EXPORT.format(base=base))
    monkeypatch.chdir(root)
    (root / "guides" / "09-served.yml").unlink()

    code, lines = cli("import", str(export), "--download")
    assert code == 0, lines
    downloaded = (root / "guides" / "09-served-guide.yml").read_text()
    assert "src: assets/09-served-guide/01.jpeg\n" in downloaded
    assert f"origin: {base}/files/one/ascreenshot.jpeg\n" in downloaded
    assert "src: assets/09-served-guide/FB923C_standard.png" in downloaded

    code, lines = cli("import", str(export), "--force")
    assert code == 0, lines
    assert cli("download")[0] == 0
    assert (root / "guides" / "09-served-guide.yml").read_text() == downloaded


def test_a_guide_that_does_not_load_is_reported_not_touched(served: tuple[Path, str]) -> None:
    root, _ = served
    broken = root / "guides" / "01-broken.yml"
    broken.write_text("title: Broken\nsteps:\n  - text: x\n    image: {crop: [1]}\n")

    code, lines = cli("download", "--config-file", str(root / "mkdocs.yml"))

    assert code == 1
    assert any(line.startswith("guides/01-broken.yml:4:") for line in lines), lines
    assert broken.read_text() == "title: Broken\nsteps:\n  - text: x\n    image: {crop: [1]}\n"


def test_a_response_that_is_not_an_image_is_not_copied(
    served: tuple[Path, str], fetcher: Fetcher, httpserver: HTTPServer,
) -> None:
    root, base = served
    httpserver.expect_request("/files/login").respond_with_data(b"<html>", content_type="")
    guide = root / "guides" / "01-login.yml"
    text = f"title: Login\nsteps:\n  - text: x\n    image: {base}/files/login\n"
    guide.write_text(text)

    result = download_guide(guide, fetcher, root)

    [problem] = result.problems
    assert problem.message == (
        f"not downloaded: {base}/files/login is not a JPEG, PNG, GIF or WebP image")
    assert guide.read_text() == text
    assert not (root / "guides" / "assets" / "01-login").exists()


def test_a_captured_guide_s_remote_step_is_downloaded_and_its_captured_steps_left_alone(
    served: tuple[Path, str], fetcher: Fetcher,
) -> None:
    """The record gives captured steps images; the guide file itself has none to rewrite."""
    root, base = served
    captured = FIXTURES / "projects/captured/guides"
    shutil.copytree(captured / "assets/01-sign-in", root / "guides/assets/01-sign-in")
    path = root / "guides" / "01-sign-in.yml"
    text = (captured / "01-sign-in.yml").read_text()
    path.write_text(text + f"  - text: Then the remote one\n"
                           f"    image: {base}/files/one/ascreenshot.jpeg\n")

    result = download_guide(path, fetcher, root)

    assert result.problems == []
    assert result.screenshots == 1
    assert path.read_text() == text + (
        "  - text: Then the remote one\n"
        "    image:\n"
        "      src: assets/01-sign-in/04.jpeg\n"
        f"      origin: {base}/files/one/ascreenshot.jpeg\n"
        "      marker: {pad: [0, 0]}\n")
