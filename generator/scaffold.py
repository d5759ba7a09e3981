"""New projects and new guides: `guidesmith init` and `guidesmith new`.

The files' text lives in generator/templates/project/ (Jinja); this module picks names,
numbers and paths, draws the example screenshot, and writes nothing that already exists.
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

import yaml
from jinja2 import Environment, PackageLoader, StrictUndefined
from mkdocs.utils import yaml_load
from PIL import Image, ImageDraw, ImageFont
from slugify import slugify as python_slugify

from generator.capture.browser import PLAYWRIGHT
from generator.fsutil import atomic_write
from generator.pipeline import find_guides
from generator.provenance import InstallSource, install_source
from generator.schema import PROJECT_SCHEMA, schema_text, write_project_schema
from generator.yamlwriter import schema_line

_TEMPLATES = "templates/project"
# Copied as they are: the repository's site_overrides/, which tests keep these equal to.
_STATIC = {
    "site_overrides/main.html": "main.html",
    "site_overrides/assets/stylesheets/guidesmith.css": "guidesmith.css",
    "site_overrides/assets/javascripts/guidesmith.js": "guidesmith.js",
}
_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
_BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
_ORDER_PREFIX = re.compile(r"^(\d+)[-_.]")
EXAMPLE_TITLE = "Create a project"
EXAMPLE_SLUG = "01-create-a-project"
SLUG_LIMIT = 60
CONFIG_NAMES = ("mkdocs.yml", "mkdocs.yaml")


class ScaffoldError(Exception):
    """A file that would be overwritten, or a name that gives no usable file name."""


@lru_cache(maxsize=1)
def _environment() -> Environment:
    """Plain-text templates (YAML, Markdown, Makefile): no HTML escaping, strict."""
    env = Environment(
        loader=PackageLoader("generator", _TEMPLATES),
        autoescape=False,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    # A JSON string is a valid YAML double-quoted scalar: any title stays one safe value.
    env.filters["yaml_str"] = lambda value: json.dumps(str(value), ensure_ascii=False)
    return env


def _render(name: str, **context: object) -> str:
    return _environment().get_template(name).render(**context)


def slugify(title: str, limit: int = 60) -> str:
    """'Créer un projet: étape 1' -> 'creer-un-projet-etape-1'; '设置 🚀' -> 'she-zhi'.

    ASCII when python-slugify can transliterate the title (an address anyone can type and
    share, the same bytes on every file system); its letters, kept, when it cannot; ''
    when the title has neither letters nor digits.
    """
    for keep_letters in (False, True):
        slug = python_slugify(title, max_length=limit, word_boundary=True, save_order=True,
                              allow_unicode=keep_letters)
        if slug:
            return slug
    return ""


def check_slug(slug: str) -> str:
    """An author's `--slug`, if it is a safe file name part: letters, digits, '-' and '_',
    starting with a letter or digit (no dot, no path separator), at most SLUG_LIMIT long."""
    safe = bool(slug) and slug[0].isalnum() and all(
        ch.isalnum() or ch in "-_" or unicodedata.category(ch).startswith("M") for ch in slug
    )  # marks: the vowel signs of Devanagari and other scripts are part of their words
    if not safe or len(slug) > SLUG_LIMIT:
        raise ScaffoldError(
            f"--slug {slug!r}: use letters, digits, '-' and '_' only, starting with a letter "
            f"or digit, at most {SLUG_LIMIT} characters"
        )
    return slug


def find_project(start: Path) -> Path | None:
    """The folder of the mkdocs.yml in `start` or the nearest folder above it."""
    for folder in (start, *start.parents):
        if any((folder / name).is_file() for name in CONFIG_NAMES):
            return folder
    return None


def guides_dir_of(start: Path) -> Path:
    """The docs folder of the project that `start` is in; refuses outside a project, as
    `build` and `check` do, before anything is written."""
    root = find_project(start.resolve())
    if root is None:
        raise ScaffoldError(
            f"no mkdocs.yml in {start} or any folder above it: run this inside a guidesmith "
            "project (`guidesmith init DIR` makes one)"
        )
    config_file = next(root / name for name in CONFIG_NAMES if (root / name).is_file())
    try:
        config = yaml_load(config_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ScaffoldError(f"cannot read {config_file}: {exc}") from None
    docs_dir = config.get("docs_dir", "docs") if isinstance(config, dict) else "docs"
    return root / str(docs_dir)


def next_order(guides_dir: Path) -> int:
    """One more than the highest `order` of the guides (or number prefix of their files)."""
    highest = 0
    for path in find_guides(guides_dir):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            data = None  # a broken guide still counts by its file name
        order = data.get("order") if isinstance(data, dict) else None
        if isinstance(order, int) and not isinstance(order, bool):
            highest = max(highest, order)
        elif match := _ORDER_PREFIX.match(path.name):
            highest = max(highest, int(match[1]))
    return highest + 1


def new_guide(
    guides_dir: Path, title: str, *, chapter: str | None = None, order: int | None = None,
    slug: str | None = None,
) -> Path:
    """Write guides/<NN>-<slug>.yml with a schema line, the title and an example step.

    `slug`: the file name's part after NN-; default: from the title (see `slugify`).
    """
    title = " ".join(title.split())
    slug = check_slug(slug) if slug is not None else slugify(title, SLUG_LIMIT)
    if not slug:
        raise ScaffoldError(f"cannot make a file name from the title {title!r}: it has no "
                            "letters or digits; name the file with --slug NAME")
    order = next_order(guides_dir) if order is None else order
    stem = f"{order:02d}-{slug}"
    path = guides_dir / f"{stem}.yml"
    if path.exists():
        raise ScaffoldError(f"{path} already exists; not overwritten")
    text = _render("new-guide.yml", schema_line=schema_line(), title=title, order=order,
                   chapter=chapter, slug=stem)
    atomic_write(path, text)
    write_project_schema(guides_dir.resolve().parent)  # what the schema line names
    return path


# --- a new project ------------------------------------------------------------------------


@dataclass(frozen=True)
class ExampleScreenshot:
    """A drawn app window, and the source pixels the example guide marks."""

    png: bytes
    size: tuple[int, int]
    crop: tuple[int, int, int, int]
    field: tuple[int, int]
    button: tuple[int, int]


def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = _BOLD if bold else _FONT
    return ImageFont.truetype(str(path), size) if path.exists() else ImageFont.load_default(size)


def draw_example_screenshot() -> ExampleScreenshot:
    """A simple web-app screen (top bar, sidebar, a form with a button) as PNG bytes."""
    width, height = 1600, 1000
    image = Image.new("RGB", (width, height), "#F3F4F6")
    draw = ImageDraw.Draw(image)
    # Top bar with the app's name and an avatar.
    draw.rectangle((0, 0, width, 72), fill="#1F2937")
    draw.text((32, 36), "Acme Projects", fill="white", font=_font(28, bold=True), anchor="lm")
    draw.ellipse((width - 76, 14, width - 32, 58), fill="#60A5FA")
    # Sidebar, "Projects" selected.
    draw.rectangle((0, 72, 320, height), fill="white")
    draw.line((320, 72, 320, height), fill="#E5E7EB", width=2)
    for i, label in enumerate(("Dashboard", "Projects", "People", "Settings")):
        top = 104 + i * 64
        if label == "Projects":
            draw.rounded_rectangle((16, top, 304, top + 48), 8, fill="#FFEDD5")
        draw.text((40, top + 24), label, fill="#111827", font=_font(24), anchor="lm")
    # The form.
    draw.text((380, 130), "New project", fill="#111827", font=_font(40, bold=True), anchor="lm")
    draw.rounded_rectangle((380, 190, 1540, 640), 12, fill="white", outline="#E5E7EB", width=2)
    label = _font(22, bold=True)
    draw.text((420, 240), "Project name", fill="#374151", font=label, anchor="lm")
    draw.rounded_rectangle((420, 270, 1120, 330), 8, fill="white", outline="#9CA3AF", width=2)
    draw.text((440, 300), "e.g. Spring workshop", fill="#9CA3AF", font=_font(22), anchor="lm")
    draw.text((420, 370), "Description", fill="#374151", font=label, anchor="lm")
    draw.rounded_rectangle((420, 400, 1500, 520), 8, fill="white", outline="#9CA3AF", width=2)
    button = (1260, 550, 1500, 606)
    draw.rounded_rectangle(button, 10, fill="#2563EB")
    draw.text(((button[0] + button[2]) // 2, (button[1] + button[3]) // 2), "Create project",
              fill="white", font=_font(22, bold=True), anchor="mm")
    out = io.BytesIO()
    image.save(out, "PNG", optimize=False, compress_level=6)
    return ExampleScreenshot(
        png=out.getvalue(),
        size=(width, height),
        crop=(340, 80, 1580, 700),
        field=(770, 300),
        button=((button[0] + button[2]) // 2, (button[1] + button[3]) // 2),
    )


def example_files() -> dict[str, str | bytes]:
    """The example guide and its screenshot, by path: the same in every new project."""
    shot = draw_example_screenshot()
    image = f"assets/{EXAMPLE_SLUG}/01.png"
    guide = _render(
        "example-guide.yml", schema_line=schema_line(), title=EXAMPLE_TITLE, image=image,
        crop=list(shot.crop), field=list(shot.field), button=list(shot.button),
    )
    return {f"guides/{EXAMPLE_SLUG}.yml": guide, f"guides/{image}": shot.png}


def project_files(site_name: str, source: InstallSource) -> dict[str, str | bytes]:
    """Every file of a new project, by path relative to its root; `source` is the
    guidesmith that its requirements.txt installs."""
    templated = {
        "mkdocs.yml": _render("mkdocs.yml", site_name=site_name),
        "requirements.txt": _render("requirements.txt", source=source),
        "README.md": _render("README.md", site_name=site_name, source=source),
        "Makefile": _render("Makefile"),
        ".gitignore": _render("gitignore"),
        ".github/workflows/publish.yml": _render("publish.yml", playwright=PLAYWRIGHT),
        "guides/index.md": _render("index.md", site_name=site_name),
        PROJECT_SCHEMA: schema_text(),
    }
    static: dict[str, str | bytes] = {
        path: (files("generator") / _TEMPLATES / name).read_bytes()
        for path, name in _STATIC.items()
    }
    return {**templated, **static, **example_files()}


def init_project(
    root: Path, site_name: str | None = None, source: InstallSource | None = None
) -> list[Path]:
    """Write a new project into `root` (created if needed); refuses to overwrite any file.

    `source`: the guidesmith its requirements.txt installs; default: the running one.
    """
    name = site_name or root.resolve().name.replace("-", " ").replace("_", " ").strip()
    planned = project_files(name or "Guides", source or install_source())
    existing = sorted(rel for rel in planned if (root / rel).exists())
    if existing:
        raise ScaffoldError(
            f"{root} already has {', '.join(existing)}; nothing was written"
        )
    written = []
    for rel, content in planned.items():
        atomic_write(root / rel, content)
        written.append(root / rel)
    return written
