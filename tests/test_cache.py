"""generator.cache: one content key for every cached thing, one store with get-or-make."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generator import cache
from generator.cache import DOWNLOADS, IMAGES, PAGES, Store, key


@pytest.fixture
def templates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the templates, standing in for the installed ones."""
    copy = tmp_path / "templates"
    shutil.copytree(cache.TEMPLATES_DIR, copy)
    monkeypatch.setattr(cache, "TEMPLATES_DIR", copy)
    cache.templates_digest.cache_clear()
    yield copy
    cache.templates_digest.cache_clear()


def test_every_template_decides_what_templates_lay_out(templates: Path) -> None:
    page, image = key(PAGES, {"a": 1}), key(IMAGES, {"a": 1})
    (templates / "standalone.css").write_text("/* another look */")
    cache.templates_digest.cache_clear()
    edited = key(PAGES, {"a": 1})
    assert edited != page
    (templates / "project" / "new-file.txt").write_text("one more file")
    cache.templates_digest.cache_clear()
    assert key(PAGES, {"a": 1}) not in (page, edited)
    assert key(IMAGES, {"a": 1}) == image  # pixels do not depend on templates


def test_a_new_version_of_guidesmith_keys_what_it_makes_anew_but_not_downloads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = {kind: key(kind, "content") for kind in (DOWNLOADS, IMAGES, PAGES)}
    monkeypatch.setattr(cache, "__version__", "99.0")
    after = {kind: key(kind, "content") for kind in (DOWNLOADS, IMAGES, PAGES)}
    assert after[DOWNLOADS] == before[DOWNLOADS]  # an upgrade does not send a project online
    assert after[IMAGES] != before[IMAGES] and after[PAGES] != before[PAGES]


def test_keys_are_content_whatever_its_shape() -> None:
    assert key(IMAGES, {"b": [1, 2], "a": Path("/x/k.jpg")}) == key(
        IMAGES, {"a": Path("/elsewhere/k.jpg"), "b": (1, 2)})
    assert key(IMAGES, "one") != key(PAGES, "one")
    with pytest.raises(TypeError, match="cannot key a object"):
        key(IMAGES, object())


def test_the_store_keeps_entries_by_key_and_makes_damaged_ones_again(tmp_path: Path) -> None:
    store = Store(tmp_path / "sections")
    made: list[bytes] = []

    def make(data: bytes):
        return lambda: made.append(data) or data

    assert store.get_or_make("k1", "pdf", make(b"%PDF one")) == b"%PDF one"
    assert store.get_or_make("k1", "pdf", make(b"%PDF other")) == b"%PDF one"
    assert made == [b"%PDF one"]
    entry = tmp_path / "sections" / "k1" / "k1.pdf"
    assert store.path("k1", "pdf") == entry
    entry.write_bytes(b"%PDF trunc")
    assert store.get_or_make("k1", "pdf", make(b"%PDF two")) == b"%PDF two"
    assert entry.read_bytes() == b"%PDF two"
    assert made == [b"%PDF one", b"%PDF two"]
    assert store.read("missing", "pdf") is None and not store.has("missing", "pdf")
