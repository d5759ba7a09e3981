"""generator.images: the image plan is plain data, decided by content, read by check and build."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from generator.fetch import Fetcher
from generator.images import ImagePlanner, collect_images, submit_images
from generator.loader import load_guide
from generator.workers import Workers


def plan_of(root: Path, *, placeholders: bool = False):
    cache = root / ".cache/guidesmith"
    guides = [load_guide(p, root, cache) for p in sorted((root / "guides").glob("*.yml"))]
    fetcher = Fetcher(cache, root)
    try:
        return ImagePlanner(fetcher, cache, placeholders=placeholders).plan(guides)
    finally:
        fetcher.close()


@pytest.fixture
def root(project: Callable[[str], Path]) -> Path:
    return project("basic")


def test_a_plan_knows_every_size_and_cache_entry_before_anything_is_rendered(root: Path) -> None:
    plan = plan_of(root)
    sizes = {(g.loaded.slug, n): (i.width, i.height) for g in plan.guides
             for n, i in g.images.items()}
    assert sizes == {("05-second-guide", 1): (320, 240), ("10-first-guide", 1): (200, 150),
                     ("10-first-guide", 3): (200, 133)}
    assert plan.jobs == 3 and plan.problems == () and plan.placeholders == 0
    assert not any(i.image.path.exists() for g in plan.guides for i in g.planned)
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.guides[0].planned[0].image.width = 1  # type: ignore[misc]


def test_what_is_rendered_is_planned_as_cached_next_time(root: Path) -> None:
    plan = plan_of(root)
    workers = Workers(1)
    try:
        assert collect_images(plan, submit_images(plan, workers), workers) == []
    finally:
        workers.close()
    again = plan_of(root)
    assert again.jobs == 0
    assert [i.image.path for g in again.guides for i in g.planned] == [
        i.image.path for g in plan.guides for i in g.planned]


def test_verifying_decodes_and_writes_no_image(root: Path) -> None:
    (root / "guides/assets/first/02.png").write_bytes(
        (root / "guides/assets/first/02.png").read_bytes()[:200])  # cut short
    plan = plan_of(root)
    workers = Workers(1)
    try:
        problems = collect_images(plan, submit_images(plan, workers, verify=True), workers)
    finally:
        workers.close()
    assert [p.text() for p in problems] == [
        "guides/10-first-guide.yml:23:12: steps[3].image.src (step 3): cannot decode the "
        "image (truncated or corrupt): image file is truncated"]
    assert not list((root / ".cache/guidesmith/images").rglob("*.jpg"))


def test_a_missing_screenshot_is_a_placeholder_counted_in_the_plan(root: Path) -> None:
    (root / "guides/assets/second/01.png").unlink()
    assert [p.severity for p in plan_of(root).problems] == ["error"]
    plan = plan_of(root, placeholders=True)
    assert plan.placeholders == 1 and [p.severity for p in plan.problems] == ["warning"]
    second = next(g for g in plan.guides if g.loaded.slug == "05-second-guide")
    assert second.images[1].placeholder and (second.images[1].width, second.images[1].height) \
        == (1120, 630)


def test_geometry_warnings_are_located_at_the_field_they_are_about(root: Path) -> None:
    guide = root / "guides/10-first-guide.yml"
    guide.write_text(guide.read_text().replace(
        "marker: {pad: [10, 20]}",
        "marker: {pad: [500, 20]}\n      highlight: [{box: [0, 0, 50, 40]}]"))
    assert [p.text() for p in plan_of(root).problems] == [
        "guides/10-first-guide.yml:17:19: warning: steps[0].image.highlight[0] (step 1): "
        "highlight[0] box (0, 0, 50, 40) is outside the crop box (100, 50, 500, 350): it is "
        "not shown",
        "guides/10-first-guide.yml:16:21: warning: steps[0].image.marker.pad (step 1): marker "
        "at (500, 20) is entirely outside the 200x150 image",
    ]


def test_a_placeholder_is_drawn_at_its_output_size_never_the_source_s(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import PIL.Image

    from generator.imagejobs import RenderJob, render_job
    from generator.model import Image as ImageSpec

    made: list[tuple[int, int]] = []
    real = PIL.Image.new
    monkeypatch.setattr(PIL.Image, "new", lambda mode, size, *a, **k: (
        made.append(tuple(size)), real(mode, size, *a, **k))[1])
    spec = ImageSpec.model_validate({"src": "https://x.invalid/a.png", "width": 1120,
                                     "crop": [0, 0, 30000, 20000]})
    job = RenderJob(None, None, "FB923C", spec.model_dump(mode="json"), tmp_path / "a.jpg",
                    placeholder_size=(30000, 20000), print_box=(1370, 1182))
    render_job(job)
    with PIL.Image.open(tmp_path / "a.jpg") as shown:
        assert shown.size == (1120, 747)
    assert max(w * h for w, h in made) <= 1120 * 747  # 600 megapixels were never drawn


def test_steps_that_show_the_same_image_share_one_job(root: Path) -> None:
    guide = root / "guides/05-second-guide.yml"
    text = guide.read_text()
    step = text[text.index("  - text: Look"):]
    guide.write_text(text + step.replace("Look at the picture", "Look again"))
    plan = plan_of(root)
    second = next(g for g in plan.guides if g.loaded.slug == "05-second-guide")
    assert second.images[1].path == second.images[2].path
    assert plan.jobs == 3  # not 4: the same pixels are rendered once
    workers = Workers(2)
    try:
        running = submit_images(plan, workers)
        assert running["05-second-guide"][0][1] is running["05-second-guide"][1][1]
        assert collect_images(plan, running, workers) == []
    finally:
        workers.close()
