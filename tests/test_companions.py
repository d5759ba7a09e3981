"""generator.companions: each standalone page and PDF keyed by what it shows, made when missing."""

from __future__ import annotations

from pathlib import Path

from generator.companions import CompanionSettings, is_missing, plan_companions
from generator.markup import render_markdown
from generator.views import GuideView, StepView


def view(slug: str, text: str = "Click it") -> GuideView:
    step = StepView(1, render_markdown(text), text, None, None, None)
    return GuideView(slug, slug.title(), None, None, None, None, [step])


def planned(tmp_path: Path, views: list[GuideView], **settings: object) -> dict[str, Path]:
    chosen = CompanionSettings(**{"site_name": "Site", **settings})  # type: ignore[arg-type]
    return {c.uri: c.path for c in plan_companions(views, tmp_path, chosen)}


def test_every_guide_gets_a_page_and_a_pdf_and_the_series_a_handout(tmp_path: Path) -> None:
    paths = planned(tmp_path, [view("a"), view("b")])
    assert set(paths) == {"handout.pdf", "a/a.html", "a/a.pdf", "b/b.html", "b/b.pdf"}
    assert all(is_missing_path(path) for path in paths.values())
    assert set(planned(tmp_path, [view("a")], pdf=False)) == {"a/a.html"}
    assert set(planned(tmp_path, [view("a")], standalone=False, handout=False)) == {"a/a.pdf"}


def test_a_key_changes_with_what_its_file_shows_and_nothing_else(tmp_path: Path) -> None:
    base = planned(tmp_path, [view("a"), view("b")])
    edited = planned(tmp_path, [view("a", "Click that"), view("b")])
    assert [uri for uri in base if base[uri] != edited[uri]] == [
        "handout.pdf", "a/a.html", "a/a.pdf"]
    letter = planned(tmp_path, [view("a"), view("b")], paper="letter")
    assert [uri for uri in base if base[uri] != letter[uri]] == [
        "handout.pdf", "a/a.pdf", "b/b.pdf"]  # the standalone page has no paper
    renamed = planned(tmp_path, [view("a"), view("b")], site_name="Other")
    assert [uri for uri in base if base[uri] != renamed[uri]] == ["handout.pdf"]


def is_missing_path(path: Path) -> bool:
    from generator.views import Companion

    return is_missing(Companion("x", path, "html", (), "a4", "S", None, path.parent))
