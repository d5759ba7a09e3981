"""The one Jinja environment: templates by final extension, autoescaped, strict."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from importlib.resources import files

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from generator.render.text import plain_text, render_inline, render_markdown

# HTML escaping handles < > &; these are the characters Markdown would act on.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~])")


def markdown_literal(text: str) -> Markup:
    """Text that Markdown shows exactly as written (for headings in generated pages)."""
    return Markup(escape(_MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))))


@lru_cache(maxsize=1)
def environment() -> Environment:
    """Templates in generator/templates; `.md` pages hold HTML blocks, so they escape too."""
    env = Environment(
        loader=PackageLoader("generator", "templates"),
        autoescape=select_autoescape(["html", "xml", "md"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        markdown=render_markdown,
        inline=render_inline,
        plain=plain_text,
        markdown_literal=markdown_literal,
    )
    return env


@lru_cache(maxsize=8)
def templates_digest(names: tuple[str, ...] | None = None) -> str:
    """A digest of the templates `names` (default: every page and PDF template), for the
    cache keys of what they lay out: an edited template is an edited output."""
    folder = files("generator") / "templates"
    chosen = names or tuple(sorted(
        entry.name for entry in folder.iterdir() if entry.is_file()
    ))
    digest = hashlib.sha256()
    for name in chosen:
        digest.update(name.encode() + b"\0" + (folder / name).read_bytes() + b"\0")
    return digest.hexdigest()
