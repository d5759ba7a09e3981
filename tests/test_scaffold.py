"""`guidesmith init` and `guidesmith new`: a project that builds, guides numbered in order."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner
from PIL import Image

from generator import __version__
from generator.capture.browser import PLAYWRIGHT
from generator.cli import main
from generator.loader import load_guide
from generator.scaffold import draw_example_screenshot, next_order, slugify
from generator.schema import PROJECT_SCHEMA, schema_text

ROOT = Path(__file__).resolve().parents[1]
SLUG = "01-create-a-project"


def invoke(*args: str, cwd: Path | None = None) -> tuple[int, str]:
    runner = CliRunner()
    if cwd is None:
        result = runner.invoke(main, list(args))
    else:
        old = Path.cwd()
        os.chdir(cwd)
        try:
            result = runner.invoke(main, list(args))
        finally:
            os.chdir(old)
    return result.exit_code, result.output


@pytest.fixture
def new_project(tmp_path: Path) -> Path:
    root = tmp_path / "my-guides"
    code, output = invoke("init", str(root), "--name", "Team & friends: guides")
    assert code == 0, output
    return root


EXPECTED = {
    "mkdocs.yml", "requirements.txt", "Makefile", ".gitignore",
    ".github/workflows/publish.yml", "guides/index.md", f"guides/{SLUG}.yml",
    f"guides/assets/{SLUG}/01.png", PROJECT_SCHEMA, "site_overrides/main.html",
    "site_overrides/assets/stylesheets/guidesmith.css",
}


def test_init_writes_a_whole_project(new_project: Path) -> None:
    found = {p.relative_to(new_project).as_posix() for p in new_project.rglob("*") if p.is_file()}
    assert found == EXPECTED
    config = yaml.safe_load((new_project / "mkdocs.yml").read_text())
    assert config["site_name"] == "Team & friends: guides"
    assert config["docs_dir"] == "guides"
    assert config["theme"]["name"] == "material"
    assert config["theme"]["custom_dir"] == "site_overrides"
    assert "guidesmith" in config["plugins"]
    assert (new_project / PROJECT_SCHEMA).read_text() == schema_text()
    assert (new_project / "requirements.txt").read_text().splitlines()[-1] == (
        f"guidesmith=={__version__}")
    ignored = (new_project / ".gitignore").read_text().splitlines()
    assert "site/" in ignored and ".cache/" in ignored


def test_the_new_project_builds_offline(new_project: Path) -> None:
    code, output = invoke("build", "--offline", "--config-file", str(new_project / "mkdocs.yml"))
    assert code == 0, output
    site = new_project / "site"
    page = (site / SLUG / "index.html").read_text()
    assert "Create a project" in page and 'class="gs-step"' in page
    assert (site / SLUG / f"{SLUG}.pdf").read_bytes().startswith(b"%PDF")
    assert (site / "handout.pdf").is_file()
    assert (site / "assets/stylesheets/guidesmith.css").is_file()
    assert not (site / "assets" / SLUG).exists()  # source screenshots stay private
    with Image.open(site / SLUG / "step-01.jpg") as first:
        assert first.size == (960, 600)
    with Image.open(site / SLUG / "step-03.jpg") as third:
        assert third.size == (960, 480)
        # The marker is centred on the button: orange over the button's blue.
        r, g, b = third.convert("RGB").getpixel(_button_in_output())
        assert r > 200 and b < 150, (r, g, b)


def _button_in_output() -> tuple[int, int]:
    shot = draw_example_screenshot()
    x1, y1, x2, _ = shot.crop
    scale = 960 / (x2 - x1)
    return round((shot.button[0] - x1) * scale), round((shot.button[1] - y1) * scale)


def test_the_example_guide_is_valid_for_the_schema(new_project: Path) -> None:
    text = (new_project / f"guides/{SLUG}.yml").read_text()
    assert text.splitlines()[0] == f"# yaml-language-server: $schema=../{PROJECT_SCHEMA}"
    schema = json.loads((new_project / PROJECT_SCHEMA).read_text())
    jsonschema.validate(yaml.safe_load(text), schema)
    loaded = load_guide(new_project / f"guides/{SLUG}.yml", new_project)
    assert loaded.warnings == []
    assert len(loaded.guide.numbered_steps()) == 3


def test_the_workflow_checks_builds_and_deploys_to_pages(new_project: Path) -> None:
    workflow = yaml.safe_load((new_project / ".github/workflows/publish.yml").read_text())
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    runs = "\n".join(step.get("run", "") for step in build["steps"])
    uses = [step.get("uses", "") for step in build["steps"]]
    assert "libpango-1.0-0" in runs and "pip install -r requirements.txt" in runs
    assert "guidesmith check --format github" in runs and "guidesmith build" in runs
    assert "actions/upload-pages-artifact@v3" in uses
    upload = next(s for s in build["steps"] if s.get("uses", "").startswith("actions/upload"))
    assert upload["with"]["path"] == "site"
    assert deploy["needs"] == "build"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["steps"][0]["uses"] == "actions/deploy-pages@v4"
    assert deploy["environment"]["url"] == "${{ steps.deployment.outputs.page_url }}"
    assert workflow[True]["push"]["branches"] == ["main"]  # YAML 1.1 reads `on:` as True


def test_the_workflow_can_check_captured_screenshots_on_a_schedule(new_project: Path) -> None:
    text = (new_project / ".github/workflows/publish.yml").read_text()
    workflow = yaml.safe_load(text)
    assert "schedule" not in workflow[True]  # opt-in: the author uncomments it
    assert '  # schedule:\n  #   - cron: "0 6 * * 1"\n' in text
    on_schedule = yaml.safe_load(text.replace("  # schedule:", "  schedule:")
                                 .replace('  #   - cron:', '    - cron:'))
    assert on_schedule[True]["schedule"] == [{"cron": "0 6 * * 1"}]
    jobs = workflow["jobs"]
    assert jobs["build"]["if"] == "github.event_name != 'schedule'"
    screenshots = jobs["screenshots"]
    assert screenshots["if"] == "github.event_name == 'schedule'"
    runs = "\n".join(step.get("run", "") for step in screenshots["steps"])
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    (playwright,) = pyproject["project"]["optional-dependencies"]["capture"]
    assert playwright == PLAYWRIGHT  # the same pin everywhere: the extra, the workflow, tests
    assert playwright in pyproject["project"]["optional-dependencies"]["test"]
    assert f'pip install -r requirements.txt "{playwright}"' in runs
    assert "playwright install --with-deps chromium" in runs
    assert "guidesmith capture --check --format github" in runs
    upload = screenshots["steps"][-1]
    assert upload["if"] == "failure()"
    assert upload["with"]["path"] == ".cache/guidesmith/capture-check/"


def test_the_theme_overrides_are_this_repository_s(new_project: Path) -> None:
    for rel in ("main.html", "assets/stylesheets/guidesmith.css"):
        assert (new_project / "site_overrides" / rel).read_bytes() == (
            ROOT / "site_overrides" / rel).read_bytes()


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_site_and_serve_targets(new_project: Path, tmp_path: Path) -> None:
    # A stand-in for the project's .venv made of this one's parts: `make site` installs
    # from requirements.txt (already satisfied, no index) and builds, as a first run does.
    venv, ours = tmp_path / "venv", Path(sys.prefix)
    venv.mkdir()
    shutil.copy(ours / "pyvenv.cfg", venv / "pyvenv.cfg")
    for part in ("bin", "lib", "lib64"):
        if (ours / part).exists():
            (venv / part).symlink_to(ours / part)
    env = {**os.environ, "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    for inherited in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS"):  # when the suite runs under make
        env.pop(inherited, None)
    dry = subprocess.run(["make", "-n", "serve", f"VENV={venv}"], cwd=new_project, env=env,
                         capture_output=True, text=True, check=True)
    assert dry.stdout.strip().splitlines()[-1].endswith("serve")
    done = subprocess.run(["make", "site", f"VENV={venv}"], cwd=new_project, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (new_project / f"site/{SLUG}/index.html").is_file()


def test_init_refuses_to_overwrite(new_project: Path) -> None:
    index = new_project / "guides/index.md"
    index.write_text("# Mine\n")
    code, output = invoke("init", str(new_project))
    assert code == 1
    assert f"Error: {new_project} already has .github/workflows/publish.yml, " in output
    assert "nothing was written" in output
    assert index.read_text() == "# Mine\n"


def test_init_names_the_site_after_the_folder(tmp_path: Path) -> None:
    code, output = invoke("init", str(tmp_path / "ops_lab-guides"))
    assert code == 0, output
    config = yaml.safe_load((tmp_path / "ops_lab-guides/mkdocs.yml").read_text())
    assert config["site_name"] == "ops lab guides"


# --- new ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Generate a PAT", "generate-a-pat"),
        ("  Café au lait: étape 2!  ", "cafe-au-lait-etape-2"),
        ("Reset the lab/router (v2)", "reset-the-lab-router-v2"),
        ("日本語", ""),
    ],
)
def test_slugify(title: str, slug: str) -> None:
    assert slugify(title) == slug


def test_new_takes_the_next_order_and_the_title_s_slug(
    project: Callable[[str], Path],
) -> None:
    root = project("basic")  # orders 5 and 10
    code, output = invoke("new", "Add a user: the admin way", "--chapter", "Chapter 2",
                          cwd=root)
    assert code == 0, output
    path = root / "guides/11-add-a-user-the-admin-way.yml"
    assert output.strip() == "guides/11-add-a-user-the-admin-way.yml"
    text = path.read_text()
    assert text.startswith(f"# yaml-language-server: $schema=../{PROJECT_SCHEMA}\n")
    guide = load_guide(path, root).guide
    assert (guide.title, guide.order, guide.chapter) == (
        "Add a user: the admin way", 11, "Chapter 2")
    assert (root / PROJECT_SCHEMA).read_text() == schema_text()
    jsonschema.validate(yaml.safe_load(text), json.loads(schema_text()))
    code, output = invoke("build", "--offline", "--config-file", str(root / "mkdocs.yml"))
    assert code == 0, output
    assert (root / "site/11-add-a-user-the-admin-way/index.html").is_file()


def test_new_refuses_to_overwrite(tmp_path: Path) -> None:
    guides = tmp_path / "guides"
    assert invoke("new", "First", "--guides-dir", str(guides))[0] == 0
    assert (guides / "01-first.yml").is_file()
    code, output = invoke("new", "First", "--order", "1", "--guides-dir", str(guides))
    assert code == 1
    assert f"Error: {guides / '01-first.yml'} already exists; not overwritten" in output


def test_next_order_reads_orders_and_falls_back_to_file_names(tmp_path: Path) -> None:
    assert next_order(tmp_path / "missing") == 1
    (tmp_path / "03-a.yml").write_text("title: A\norder: 7\nsteps: [{text: x}]\n")
    (tmp_path / "12-broken.yml").write_text("title: [unclosed\n")
    (tmp_path / "b.yml").write_text("title: B\nsteps: [{text: x}]\n")
    assert next_order(tmp_path) == 13


def test_new_needs_a_title_with_letters(tmp_path: Path) -> None:
    code, output = invoke("new", "!!!", "--guides-dir", str(tmp_path))
    assert code == 1
    assert "cannot make a file name from the title '!!!'" in output
