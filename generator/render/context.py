"""What every output shows of a guide, computed once: numbered steps, HTML, images."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from generator.images import StepImage
from generator.loader import LoadedGuide
from generator.model import Section, Step
from generator.render.text import plain_text, render_inline, render_markdown, safe_link

WORDS_PER_MINUTE = 200
SECONDS_PER_STEP = 10


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


def guide_view(loaded: LoadedGuide, images: dict[int, StepImage]) -> GuideView:
    """The template-ready view of a loaded guide and its rendered images."""
    guide = loaded.guide
    items: list[StepView | SectionView] = []
    number = 0
    for item in guide.steps:
        if isinstance(item, Section):
            items.append(
                SectionView(render_inline(item.section), plain_text(item.section),
                            f"section-{len(items) + 1}")
            )
        elif isinstance(item, Step):
            number += 1
            items.append(
                StepView(
                    number=number,
                    html=render_markdown(item.text),
                    text=plain_text(item.text),
                    tip=render_markdown(item.tip) if item.tip else None,
                    alert=render_markdown(item.alert) if item.alert else None,
                    image=images.get(number),
                )
            )
    return GuideView(
        slug=loaded.slug,
        title=guide.title,
        description=render_markdown(guide.description) if guide.description else None,
        source=safe_link(guide.source),
        chapter=guide.chapter,
        order=guide.order,
        items=items,
    )
