"""The one Jinja environment: templates by final extension, autoescaped, strict."""

from __future__ import annotations

import re
from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from generator.markup import plain_text, render_inline, render_markdown

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
