"""`guidesmith init` and `guidesmith new`: a project that builds, guides numbered in order."""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner
from PIL import Image

from generator.capture.browser import PLAYWRIGHT
from generator.cli import main
from generator.loader import load_guide
from generator.provenance import install_source
from generator.scaffold import SLUG_LIMIT, draw_example_screenshot, next_order, slugify
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
    "mkdocs.yml", "requirements.txt", "README.md", "Makefile", ".gitignore",
    ".github/workflows/publish.yml", "guides/index.md", f"guides/{SLUG}.yml",
    f"guides/assets/{SLUG}/01.png", PROJECT_SCHEMA, "site_overrides/main.html",
    "site_overrides/assets/stylesheets/guidesmith.css",
    "site_overrides/assets/javascripts/guidesmith.js",
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
        install_source().requirement)  # see test_provenance
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
    # The sidebar shows the site's name above the navigation; the home page's entry must
    # not repeat it ("proj / proj").
    home = (site / "index.html").read_text()
    drawer = re.search(r'<label class="md-nav__title" for="__drawer">.*?</a>\s*(.*?)\s*</label>',
                       home, re.DOTALL)
    first = re.search(r'class="md-nav__link md-nav__link--active">\s*'
                      r'<span class="md-ellipsis">\s*(.*?)\s*</span>', home, re.DOTALL)
    assert drawer is not None and first is not None
    assert (drawer[1], first[1]) == ("Team &amp; friends: guides", "Home")
    assert "<h1 id=\"team-friends-guides\">Team &amp; friends: guides" in home
    with Image.open(site / SLUG / "step-01.jpg") as first_image:
        assert first_image.size == (960, 600)
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
    overrides = ("main.html", "assets/stylesheets/guidesmith.css",
                 "assets/javascripts/guidesmith.js")
    for rel in overrides:
        assert (new_project / "site_overrides" / rel).read_bytes() == (
            ROOT / "site_overrides" / rel).read_bytes()


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
        # Transliterated where python-slugify (text-unidecode) can: Han as Mandarin.
        ("设置 🚀", "she-zhi"),
        ("Привет, мир", "privet-mir"),
        ("안녕하세요", "annyeonghaseyo"),
        ("Straße ÆØÅ", "strasse-aeoa"),
        # Letters it has no table for are kept (Adlam, lower-cased).
        ("\U0001e900\U0001e922\U0001e924", "\U0001e922\U0001e922\U0001e924"),
        # Never a hidden file, a path or an over-long name.
        ("..hidden", "hidden"),
        ("a/b\\c", "a-b-c"),
        ("word " * 30, "word-" * 11 + "word"),
        ("🚀 !!", ""),
    ],
)
def test_slugify(title: str, slug: str) -> None:
    assert slugify(title) == slug
    assert len(slug) <= SLUG_LIMIT


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
    (tmp_path / "mkdocs.yml").write_text("site_name: x\ndocs_dir: guides\n")
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


def test_new_needs_a_title_with_letters_or_a_slug(tmp_path: Path) -> None:
    (tmp_path / "mkdocs.yml").write_text("site_name: x\ndocs_dir: guides\n")
    code, output = invoke("new", "🚀 !!!", cwd=tmp_path)
    assert code == 1
    assert output == ("Error: cannot make a file name from the title '🚀 !!!': it has no "
                      "letters or digits; name the file with --slug NAME\n")
    code, output = invoke("new", "🚀 !!!", "--slug", "launch", cwd=tmp_path)
    assert (code, output) == (0, "guides/01-launch.yml\n")
    assert load_guide(tmp_path / "guides/01-launch.yml").guide.title == "🚀 !!!"


def test_new_with_a_title_in_any_script(project: Callable[[str], Path]) -> None:
    root = project("basic")
    code, output = invoke("new", "设置 🚀", cwd=root / "guides")  # from inside the project
    assert (code, output) == (0, "11-she-zhi.yml\n")
    assert load_guide(root / "guides/11-she-zhi.yml").guide.title == "设置 🚀"
    code, output = invoke("new", "设置 🚀", "--slug", "设置", cwd=root)
    assert (code, output) == (0, "guides/12-设置.yml\n")
    code, output = invoke("new", "नमस्ते", "--slug", "नमस्ते", cwd=root)
    assert (code, output) == (0, "guides/13-नमस्ते.yml\n")


@pytest.mark.parametrize("slug", ["../up", ".hidden", "a/b", "a\\b", "-x", "x.yml", "",
                                  "a" * 61, "two words"])
def test_new_refuses_an_unsafe_slug(tmp_path: Path, slug: str) -> None:
    (tmp_path / "mkdocs.yml").write_text("site_name: x\ndocs_dir: guides\n")
    code, output = invoke("new", "Title", "--slug", slug, cwd=tmp_path)
    assert code == 1
    assert output == (f"Error: --slug {slug!r}: use letters, digits, '-' and '_' only, "
                      "starting with a letter or digit, at most 60 characters\n")
    assert not (tmp_path / "guides").exists()


def test_new_outside_a_project_refuses_and_writes_nothing(tmp_path: Path) -> None:
    for args in ((), ("--guides-dir", str(tmp_path / "guides"))):
        code, output = invoke("new", "A guide", *args, cwd=tmp_path)
        assert code == 1
        assert output == (
            f"Error: no mkdocs.yml in {tmp_path} or any folder above it: run this inside a "
            "guidesmith project (`guidesmith init DIR` makes one)\n")
        assert list(tmp_path.iterdir()) == []


def test_new_uses_the_project_s_docs_dir(tmp_path: Path) -> None:
    (tmp_path / "mkdocs.yml").write_text("site_name: x\ndocs_dir: content\n")
    (tmp_path / "content/deep").mkdir(parents=True)
    code, output = invoke("new", "Deep", cwd=tmp_path / "content/deep")
    assert (code, output) == (0, f"{tmp_path / 'content/01-deep.yml'}\n")
    assert (tmp_path / PROJECT_SCHEMA).is_file()
