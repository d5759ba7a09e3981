"""What every output shows of a guide: numbered steps, their HTML and their images.

Plain frozen data, built once by present.py in the build process, and sent to the
worker processes that lay out pages and PDFs: this module imports nothing of the guide
model, so a worker unpickling a view does not import pydantic or the image pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from markupsafe import Markup

from generator.theme import DEFAULT_THEME, Theme

WORDS_PER_MINUTE = 200
SECONDS_PER_STEP = 10


@dataclass(frozen=True)
class StepImage:
    """One rendered screenshot, as pages need to know it."""

    number: int
    filename: str
    path: Path
    width: int
    height: int
    placeholder: bool = False



@dataclass(frozen=True)
class StepView:
    """One numbered step, ready for a template."""

    number: int
    html: Markup
    text: str
    tip: Markup | None
    alert: Markup | None
    image: StepImage | None

    @property
    def alt(self) -> str:
        return f"Step {self.number}: {self.text}"


@dataclass(frozen=True)
class SectionView:
    """A heading between steps."""

    title: Markup
    text: str
    anchor: str


@dataclass(frozen=True)
class GuideView:
    """A guide as its pages present it."""

    slug: str
    title: str
    description: Markup | None
    source: str | None
    chapter: str | None
    order: int | None
    items: list[StepView | SectionView]
    lang: str | None = None  # the guide's own language, when it says one

    @property
    def steps(self) -> list[StepView]:
        return [item for item in self.items if isinstance(item, StepView)]

    @property
    def image_count(self) -> int:
        return sum(1 for step in self.steps if step.image is not None)

    @property
    def reading_minutes(self) -> int:
        """A reader's time: the words, plus a few seconds to look at each step."""
        words = sum(len(step.text.split()) for step in self.steps)
        seconds = words * 60 / WORDS_PER_MINUTE + SECONDS_PER_STEP * len(self.steps)
        return max(1, round(seconds / 60))


@dataclass(frozen=True)
class Companion:
    """One file made from views (a standalone page, a guide PDF, the handout): where it goes
    in the site, where the cache keeps it, and what it shows."""

    uri: str
    path: Path
    kind: Literal["html", "pdf", "handout"]
    views: tuple[GuideView, ...]
    paper: str
    site_name: str
    site_url: str | None
    sections: Path  # where laid-out PDF sections are kept (a cache Store's folder)
    theme: Theme = DEFAULT_THEME  # the site's colours and language
