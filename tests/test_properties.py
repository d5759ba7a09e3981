"""Property tests: whatever a guide file or a cloudimg URL holds, the answer is a Guide or
our own error (one line per problem), never a traceback."""

from __future__ import annotations

import contextlib
import string
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from generator.cloudimg import KNOWN_PARAMS, CloudimgError, parse_image_url
from generator.errors import GuideErrors
from generator.explain import build_image_url
from generator.loader import load_guide
from generator.model import Image

SETTINGS = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

FIELD_NAMES = [
    "title", "description", "source", "order", "chapter", "image_defaults", "steps", "text",
    "image", "tip", "alert", "section", "src", "origin", "crop", "width", "format", "quality",
    "marker", "opacity", "gravity", "pad", "scale", "click", "params", "titel", "imgae",
]
keys = st.one_of(st.sampled_from(FIELD_NAMES), st.text(max_size=8))
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([10**400, -(10**400), 2**63, 2**53 + 1]),
    st.floats(),
    st.text(max_size=20),
    st.sampled_from(["5p", "-8", "1120.0", "jpg", "northwest", "1,2", "", "a.png"]),
)
documents = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=5)
    ),
    max_leaves=30,
)


@pytest.fixture(scope="module")
def guide_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("project") / "guides" / "x.yml"
    path.parent.mkdir()
    return path


def check_load(path: Path, content: str | bytes) -> None:
    """load_guide gives a guide or GuideErrors: one line each, in file order."""
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    try:
        load_guide(path, root=path.parent.parent)
    except GuideErrors as exc:
        assert exc.errors
        lines = [error.text() for error in exc.errors]
        assert all("\n" not in line and "\r" not in line for line in lines), lines
        assert all(line.startswith("guides/x.yml") for line in lines), lines
        positions = [(e.line or 0, e.col or 0) for e in exc.errors]
        assert positions == sorted(positions)


def dump(document: Any) -> str:
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


@SETTINGS
@given(document=documents)
def test_random_documents_load_or_fail_cleanly(guide_path: Path, document: Any) -> None:
    check_load(guide_path, dump(document))


# --- near-valid guides: the right shape, random values -------------------------------------

lengths = st.one_of(
    st.integers(-5000, 5000),
    st.sampled_from([10**400, -(10**400)]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.from_regex(r"-?\d{1,4}(\.\d{1,2})?p?", fullmatch=True),
    st.text(max_size=5),
)
markers = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {},
        optional={
            "src": st.one_of(st.just("builtin:circle#FB923C"), st.text(max_size=10)),
            "opacity": st.one_of(st.floats(), st.integers(-2, 2), st.text(max_size=4)),
            "gravity": st.one_of(
                st.sampled_from(["north", "southeast", "center", "NorthWest", "up"]),
                st.integers(),
            ),
            "pad": st.one_of(lengths, st.lists(lengths, max_size=3)),
            "scale": lengths,
            "click": st.one_of(st.none(), st.lists(st.integers(), max_size=3)),
            "colour": st.text(max_size=3),
        },
    ),
)
crops = st.one_of(
    st.none(),
    st.lists(st.one_of(st.none(), st.integers(-10, 5000), st.floats(), st.text(max_size=2)),
             max_size=5),
    st.text(max_size=10),
)
settings_fields = {
    "width": st.one_of(st.none(), st.integers(-10, 20000), st.floats(), st.text(max_size=6)),
    "format": st.one_of(st.sampled_from(["jpeg", "jpg", "png", "webp", "gif", "PNG"]),
                        st.integers()),
    "quality": st.one_of(st.integers(-5, 105), st.text(max_size=3)),
    "marker": markers,
}
query_values = st.text(alphabet=string.digits + ",-.p eaNnIf%&=#x", max_size=10)
query_keys = st.one_of(st.sampled_from(sorted(KNOWN_PARAMS)), st.text(max_size=5))
queries = st.lists(st.tuples(query_keys, query_values), max_size=8).map(
    lambda pairs: "&".join(f"{k}={v}" for k, v in pairs)
)
hosts = st.sampled_from([
    "https://abc.cloudimg.io/https://h.example.com/a.jpeg",
    "https://abc.cloudimg.io/v7/h.example.com/a.jpeg",
    "https://abc.cloudimg.io/",
    "https://h.example.com/a.gif",
    "https://[broken.cloudimg.io/a.png",
])
urls = st.builds(lambda host, query: f"{host}?{query}", hosts, queries)
images = st.one_of(
    urls,
    st.text(max_size=10),
    st.integers(),
    st.fixed_dictionaries(
        {"src": st.one_of(st.just("a.png"), st.text(max_size=5), st.none())},
        optional={**settings_fields, "crop": crops, "origin": st.text(max_size=5),
                  "params": st.dictionaries(st.text(max_size=3), scalars, max_size=2)},
    ),
)
steps = st.one_of(
    st.fixed_dictionaries(
        {"text": st.one_of(st.text(max_size=10), st.integers(), st.none())},
        optional={"image": images, "tip": st.text(max_size=5), "alert": st.none(),
                  "imgae": st.text(max_size=3)},
    ),
    st.fixed_dictionaries({"section": st.one_of(st.text(max_size=10), st.none())},
                          optional={"text": st.text(max_size=3)}),
    st.text(max_size=5),
)
guides = st.fixed_dictionaries(
    {"title": st.one_of(st.text(max_size=10), st.lists(st.text(), max_size=2), st.integers()),
     "steps": st.one_of(st.lists(steps, max_size=6), st.dictionaries(keys, st.text()))},
    optional={
        "order": st.one_of(st.integers(), st.text(max_size=3)),
        "chapter": st.text(max_size=10),
        "image_defaults": st.one_of(
            st.none(), st.fixed_dictionaries({}, optional=settings_fields)
        ),
        "titel": st.text(max_size=3),
    },
)


@SETTINGS
@given(document=guides)
def test_near_valid_guides_load_or_fail_cleanly(guide_path: Path, document: Any) -> None:
    check_load(guide_path, dump(document))


# --- raw text and bytes: the YAML parser's own edge cases ------------------------------------

yaml_ish = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("title: steps-[]{},&*!|>'\"#%@`?\t\n\r ")),
        st.characters(codec="utf-8"),
    ),
    max_size=80,
)


@SETTINGS
@given(prefix=st.sampled_from(["", "title: T\nsteps:\n  - text: ", "title: "]), tail=yaml_ish)
def test_random_text_loads_or_fails_cleanly(guide_path: Path, prefix: str, tail: str) -> None:
    check_load(guide_path, prefix + tail)


@SETTINGS
@given(content=st.binary(max_size=80))
def test_random_bytes_load_or_fail_cleanly(guide_path: Path, content: bytes) -> None:
    check_load(guide_path, b"title: T\nsteps:\n  - text: " + content)


# --- cloudimg URLs ------------------------------------------------------------------------------


@SETTINGS
@given(url=urls)
def test_random_cloudimg_urls_parse_or_fail_cleanly(url: str) -> None:
    with contextlib.suppress(CloudimgError):
        parse_image_url(url)
    with contextlib.suppress(ValidationError):
        Image.model_validate(url)


@SETTINGS
@given(query=queries)
def test_what_parses_builds_back_to_the_same_image(query: str) -> None:
    try:
        image = Image.model_validate(f"https://abc.cloudimg.io/h.example.com/a.jpeg?{query}")
    except ValidationError:
        return
    assert Image.model_validate(build_image_url(image)) == image


@SETTINGS
@given(pairs=st.dictionaries(st.text(min_size=1, max_size=5), st.text(max_size=5), max_size=4))
def test_unknown_parameters_survive_a_round_trip(pairs: dict[str, str]) -> None:
    params = {k: v for k, v in pairs.items() if k not in KNOWN_PARAMS}
    query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in params.items())
    image = Image.model_validate(f"https://abc.cloudimg.io/h.example.com/a.jpeg?{query}")
    assert image.params == params
    assert Image.model_validate(build_image_url(image)) == image
