"""A guide -> one self-contained Scribe-style HTML page: CSS inline, images as data URIs.

The page must open anywhere (a mail attachment, a laptop with no network), so it never
refers to another file or host: the step images are embedded, and a Content-Security-Policy
lets the browser load nothing but those data URIs, the inline styles and the page's own
script (pinned by its hash), even if hostile text ever got past the sanitiser.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from generator.render.environment import environment
from generator.theme import DEFAULT_THEME, Theme
from generator.views import GuideView, SectionView, StepImage, StepView

MIME_TYPES = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "gif": "image/gif",
}
_LINK_SCHEMES = {"http", "https"}


@dataclass(frozen=True)
class StepGroup:
    """The steps under one section heading (or before the first one): one ordered list."""

    section: SectionView | None
    steps: list[StepView]


def data_uri(image: StepImage) -> str:
    """The rendered image file as a `data:` URI, typed by its extension."""
    extension = image.path.suffix.lower().lstrip(".")
    try:
        mime = MIME_TYPES[extension]
    except KeyError:
        raise ValueError(f"{image.path}: no known image type for '.{extension}'") from None
    encoded = base64.b64encode(image.path.read_bytes()).decode("ascii")
    return f"data:{mime};base64,{encoded}"


def group_steps(view: GuideView) -> list[StepGroup]:
    """Split the guide at its sections; empty groups (a section with no steps) keep the heading."""
    groups: list[StepGroup] = []
    section: SectionView | None = None
    steps: list[StepView] = []
    for item in view.items:
        if isinstance(item, SectionView):
            if section is not None or steps:
                groups.append(StepGroup(section, steps))
            section, steps = item, []
        else:
            steps.append(item)
    if section is not None or steps:
        groups.append(StepGroup(section, steps))
    return groups


def csp_hash(script: str) -> str:
    """The CSP hash (`sha256-...`, to be quoted) that allows exactly this inline script."""
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    return f"sha256-{digest}"


def render_standalone(view: GuideView, theme: Theme = DEFAULT_THEME) -> str:
    """The guide as one HTML document that needs nothing but itself, in the site's colours
    and the guide's language."""
    images = {step.number: data_uri(step.image) for step in view.steps if step.image is not None}
    return environment().get_template("standalone.html").render(
        guide=view,
        theme=theme,
        groups=group_steps(view),
        images=images,
        source=view.source,
        csp_hash=csp_hash,
    )
