"""`guidesmith download`: copy a guide's remote screenshots and markers into the project.

A guide that points at Scribe's servers builds only while they answer. This fetches each
remote screenshot and marker of a guide once (through the Fetcher: limits, retries and the
download cache, so a project built once can be made independent offline) into
`guides/assets/<slug>/`, and rewrites the guide to point at the copies. Each screenshot
keeps its URL as `origin:`; a step whose `image:` is a whole cloudimg URL becomes the
mapping that says the same. The guide file is edited in place (generator.yamledit): the
author's comments, blank lines and formatting stay as they were.

Idempotent: a guide with nothing remote is left untouched. A download that fails leaves
its step as it was, reported with its place in the file. `guidesmith import --download`
writes the guides and then runs this on them.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from yaml.nodes import MappingNode, Node, ScalarNode

from generator import yamledit
from generator.cloudimg import parse_image_url
from generator.errors import GuideError, GuideErrors
from generator.fetch import Fetcher, FetchError
from generator.fsutil import atomic_write
from generator.loader import LoadedGuide, load_guide
from generator.model import Guide, Image, Marker, Step
from generator.yamlsource import YamlProblem, load_yaml, node_at
from generator.yamlwriter import image_data

IMAGE_SUFFIXES = {".jpg": "jpg", ".jpeg": "jpeg", ".png": "png", ".gif": "gif", ".webp": "webp"}


@dataclass
class Downloaded:
    """What `download_guide` did to one guide file."""

    path: Path
    screenshots: int = 0
    markers: int = 0
    folder: Path | None = None  # where the copies are
    problems: list[GuideError] = field(default_factory=list)


@dataclass
class _Ref:
    """One remote image written in the guide: where, and what it becomes."""

    url: str
    kind: str  # "screenshot" or "marker"
    loc: tuple[int | str, ...]  # the `src` (or the whole `image` string) in the YAML
    name: str  # the file name it gets, without extension for screenshots ("03")
    number: int | None = None  # the step readers see, for messages


def is_url(src: str) -> bool:
    return urlsplit(src).scheme.lower() in ("http", "https")


def download_guide(
    path: Path, fetcher: Fetcher, root: Path | None = None, *, workers: int = 8
) -> Downloaded:
    """Download the remote images of the guide at `path` and point it at the copies.

    Raises GuideErrors when the guide does not load (fix it first); a failed download is
    a problem in the result, and its step is left as it was.
    """
    # The guide as its file says it: captured steps' images come from their record, and
    # there is nothing of them to download or rewrite.
    loaded = load_guide(path, root, captures=False)
    refs = _remote_refs(loaded)
    result = Downloaded(path)
    if not refs:
        return result
    folder = loaded.base_dir / "assets" / loaded.slug
    result.folder = folder
    got = fetcher.read_many(sorted({(r.url, loaded.base_dir) for r in refs}), workers=workers)
    local: dict[str, str] = {}  # url -> src relative to the guide
    taken: set[str] = set()
    for ref in refs:
        if ref.url in local:
            continue
        data = got[ref.url]
        if isinstance(data, FetchError):
            result.problems.append(_problem(loaded, ref, str(data), data.cause, data.host or ""))
            local[ref.url] = ""
            continue
        ext = _extension(ref.url, data)
        if ext is None:
            result.problems.append(_problem(
                loaded, ref, f"{ref.url} is not a JPEG, PNG, GIF or WebP image", "response"))
            local[ref.url] = ""
            continue
        name = _free_name(folder, ref.name, ext, data, taken)
        atomic_write(folder / name, data)
        local[ref.url] = Path(os.path.relpath(folder / name, loaded.base_dir)).as_posix()
        if ref.kind == "screenshot":
            result.screenshots += 1
        else:
            result.markers += 1
    local = {url: src for url, src in local.items() if src}
    if local:
        _rewrite(loaded, refs, local)
    return result


def _remote_refs(loaded: LoadedGuide) -> list[_Ref]:
    """Every remote screenshot and marker written in the guide, in file order."""
    guide, node = loaded.guide, loaded.node
    refs: list[_Ref] = []
    markers: dict[str, str] = {}  # url -> file name, one name per marker

    def marker(url: str, loc: tuple[int | str, ...], number: int | None) -> None:
        if not is_url(url):
            return
        name = markers.setdefault(url, _marker_name(url, set(markers.values())))
        refs.append(_Ref(url, "marker", loc, name, number))

    defaults = guide.image_defaults
    at = ("image_defaults", "marker", "src")
    if defaults and defaults.marker and isinstance(node_at(node, at), ScalarNode):
        marker(defaults.marker.src, at, None)
    for index, number, step in guide.indexed_steps():
        image = step.image
        if image is None:
            continue
        written = node_at(node, ("steps", index, "image"))
        if isinstance(written, ScalarNode):  # the whole image is a URL
            if is_url(image.src):
                refs.append(_Ref(image.src, "screenshot", ("steps", index, "image"),
                                 f"{number:02d}", number))
            own = parse_image_url(str(written.value)).get("marker") or {}
            if image.marker is not None and "src" in own:  # the URL's wat_url
                marker(image.marker.src, ("steps", index, "image"), number)
            continue
        if is_url(image.src) and isinstance(node_at(node, ("steps", index, "image", "src")),
                                            ScalarNode):
            refs.append(_Ref(image.src, "screenshot", ("steps", index, "image", "src"),
                             f"{number:02d}", number))
        loc = ("steps", index, "image", "marker", "src")
        if image.marker is not None and isinstance(node_at(node, loc), ScalarNode):
            marker(image.marker.src, loc, number)
    return refs


def _rewrite(loaded: LoadedGuide, refs: list[_Ref], local: dict[str, str]) -> None:
    """Point the guide at the copies, editing its text in place; checked by loading it."""
    text, node = loaded.text, loaded.node
    guide = loaded.guide
    expected = _localised_guide(guide, local)
    edits: list[yamledit.Edit] = []
    done: set[tuple[int | str, ...]] = set()
    for ref in refs:
        if ref.url not in local or ref.loc in done:
            continue
        written = node_at(node, ref.loc)
        if ref.loc[-1] == "image":  # a whole-URL image: the mapping that says the same
            done.add(ref.loc)
            index = ref.loc[1]
            assert isinstance(index, int) and isinstance(written, ScalarNode)
            key = _key_node(node_at(node, ("steps", index)), "image")
            step = expected.steps[index]
            assert isinstance(step, Step) and step.image is not None
            data = image_data(step.image, expected.image_defaults)
            edits.append(yamledit.replace_with_mapping(text, key, written, data))
            continue
        assert isinstance(written, ScalarNode)
        edits.append(yamledit.replace_scalar(written, local[ref.url]))
        if ref.kind == "screenshot":
            mapping = node_at(node, ref.loc[:-1])
            assert isinstance(mapping, MappingNode)
            if not any(k.value == "origin" for k, _ in mapping.value):
                edits.append(yamledit.add_key_after(text, mapping, written, "origin", ref.url))
    new_text = yamledit.apply(text, edits)
    try:
        data, _ = load_yaml(new_text)
        rewritten = Guide.model_validate(data)
    except (YamlProblem, ValueError) as exc:
        raise AssertionError(f"{loaded.display}: the rewritten guide does not load: {exc}"
                             ) from None
    if rewritten != expected:
        raise AssertionError(f"{loaded.display}: the rewritten guide says something else")
    raw = loaded.path.read_bytes()
    bom = "\ufeff" if raw.startswith(b"\xef\xbb\xbf") else ""
    atomic_write(loaded.path, bom + new_text)


def _key_node(mapping: Node | None, key: str) -> ScalarNode:
    assert isinstance(mapping, MappingNode)
    return next(k for k, _ in mapping.value if k.value == key)


def _localised_marker(marker: Marker | None, local: dict[str, str]) -> Marker | None:
    if marker is None or marker.src not in local:
        return marker
    return marker.model_copy(update={"src": local[marker.src]})


def _localised_image(step: Step, local: dict[str, str]) -> Image:
    image = step.image
    assert image is not None
    update: dict[str, object] = {"marker": _localised_marker(image.marker, local)}
    if image.src in local:
        update |= {"src": local[image.src], "origin": image.origin or image.src}
    return image.model_copy(update=update)


def _localised_guide(guide: Guide, local: dict[str, str]) -> Guide:
    """The guide as it should load after the rewrite: each downloaded URL a local path."""
    steps = [
        item.model_copy(update={"image": _localised_image(item, local)})
        if isinstance(item, Step) and item.image is not None else item
        for item in guide.steps
    ]
    defaults = guide.image_defaults
    if defaults is not None:
        defaults = defaults.model_copy(
            update={"marker": _localised_marker(defaults.marker, local)})
    return guide.model_copy(update={"steps": steps, "image_defaults": defaults})


def _problem(
    loaded: LoadedGuide, ref: _Ref, message: str, cause: str, host: str = ""
) -> GuideError:
    return loaded.problem(ref.loc, f"not downloaded: {message}", step=ref.number, cause=cause,
                          host=host)


def _extension(url: str, data: bytes) -> str | None:
    """The image type from the content, else from the URL; None when it is not an image."""
    if data.startswith(b"\xff\xd8\xff"):
        sniffed = "jpeg"
    elif data.startswith(b"\x89PNG\r\n\x1a\n"):
        sniffed = "png"
    elif data.startswith((b"GIF87a", b"GIF89a")):
        sniffed = "gif"
    elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        sniffed = "webp"
    else:
        return None
    from_url = IMAGE_SUFFIXES.get(PurePosixPath(urlsplit(url).path).suffix.lower())
    # Keep the URL's spelling (.jpeg or .jpg) when it agrees with the content.
    if from_url is not None and (from_url == sniffed or {from_url, sniffed} == {"jpg", "jpeg"}):
        return from_url
    return sniffed


def _marker_name(url: str, taken: set[str]) -> str:
    """A marker's file name: its URL's, made safe (`FB923C_standard`), without extension."""
    stem = PurePosixPath(urlsplit(url).path).stem
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip(".-") or "marker"
    candidate, n = stem, 1
    while candidate in taken:
        n += 1
        candidate = f"{stem}-{n}"
    return candidate


def _free_name(folder: Path, stem: str, ext: str, data: bytes, taken: set[str]) -> str:
    """`stem.ext`, or `stem-2.ext`...: a name no other image of this run has, and whose
    file is either absent or already holds these bytes (a second run reuses it)."""
    n = 1
    while True:
        name = f"{stem}.{ext}" if n == 1 else f"{stem}-{n}.{ext}"
        existing = folder / name
        if name not in taken and (not existing.exists() or _same(existing, data)):
            taken.add(name)
            return name
        n += 1


def _same(path: Path, data: bytes) -> bool:
    try:
        return path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def download_project(
    paths: list[Path], fetcher: Fetcher, root: Path
) -> tuple[list[Downloaded], list[GuideError]]:
    """`download_guide` for each guide; the problems of guides that do not load, apart."""
    done: list[Downloaded] = []
    broken: list[GuideError] = []
    for path in paths:
        try:
            done.append(download_guide(path, fetcher, root))
        except GuideErrors as exc:
            broken += exc.errors
    return done, broken
