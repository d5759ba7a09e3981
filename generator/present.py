"""A loaded guide and its rendered images -> the views every output shows (views.py)."""

from __future__ import annotations

from generator.loader import LoadedGuide
from generator.markup import plain_text, render_inline, render_markdown, safe_link
from generator.model import Section, Step
from generator.views import GuideView, SectionView, StepImage, StepView


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
        lang=guide.lang,
    )
