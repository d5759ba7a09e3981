"""generator.capture.compare: screenshots compared, redactions burnt in, differences drawn."""

from __future__ import annotations

import io

from PIL import Image

from generator.annotate import REDACT_FILL
from generator.capture.compare import (
    CHANGED,
    GAP,
    LABEL_HEIGHT,
    PANEL_WIDTH,
    TOLERANCE,
    Marks,
    burn_in,
    changed_share,
    decode,
    difference_picture,
    png_bytes,
    same,
)

WHITE = (255, 255, 255)


def grid(rows: list[str], palette: dict[str, tuple[int, int, int]]) -> Image.Image:
    """A small image spelled as text, one character a pixel."""
    image = Image.new("RGB", (len(rows[0]), len(rows)))
    image.putdata([palette[c] for row in rows for c in row])
    return image


PALETTE = {".": WHITE, "#": (0, 0, 0), "~": (255 - TOLERANCE, 255, 255), "o": (251, 146, 60)}


def test_same_is_exact_and_a_missing_file_is_never_the_same() -> None:
    a = grid(["....", "...."], PALETTE)
    assert same(a, a.copy())
    assert not same(a, grid(["....", "..~."], PALETTE))  # one shade: a rewrite, not churn
    assert not same(None, a)
    assert not same(a, grid(["...", "..."], PALETTE))


def test_changed_share_counts_what_a_reader_would_see_within_the_box() -> None:
    old = grid([".....", ".....", ".....", "....."], PALETTE)
    new = grid(["##...", "..~..", ".....", "....#"], PALETTE)
    # Three pixels changed for real; the faint one (within TOLERANCE) does not count.
    assert changed_share(old, new) == 3 / 20
    assert changed_share(old, new, (0, 0, 2, 2)) == 2 / 4  # only what the crop shows
    assert changed_share(old, new, (1, 1, 4, 3)) == 0
    assert changed_share(old, grid(["...."], PALETTE)) == 1.0


def test_burn_in_hides_the_boxes_and_nothing_else() -> None:
    image = grid(["o.o.", "o.o.", "...."], PALETTE)
    hidden = burn_in(image, [(0, 0, 3, 2), (2, 2, 2, 3)])  # the second box is empty
    assert list(hidden.crop((0, 0, 3, 2)).get_flattened_data()) == [REDACT_FILL] * 6
    assert hidden.getpixel((3, 0)) == WHITE and hidden.getpixel((0, 2)) == WHITE
    assert burn_in(image, []) is image


def test_screenshots_are_written_the_same_way_every_time() -> None:
    image = grid(["o.#", "#.o"], PALETTE)
    first, second = png_bytes(image), png_bytes(image.copy())
    assert first == second
    assert b"tIME" not in first and b"tEXt" not in first  # no clock, no metadata
    assert same(decode(first), image)


def test_the_difference_picture_shows_both_and_marks_the_change() -> None:
    old = Image.new("RGB", (1920, 1200), WHITE)
    new = old.copy()
    new.paste((0, 0, 0), (800, 400, 1120, 600))  # a button that moved here
    picture = difference_picture(old, new, Marks(click=(100, 100)),
                                 Marks(crop=(400, 200, 1600, 1000), click=(960, 500)))
    assert picture.size == (3 * PANEL_WIDTH + 4 * GAP, 600 + LABEL_HEIGHT + GAP)
    third = GAP + 2 * (PANEL_WIDTH + GAP)
    assert picture.getpixel((third + 480, LABEL_HEIGHT + 250)) == CHANGED
    assert picture.getpixel((third + 100, LABEL_HEIGHT + 500)) != CHANGED
    second = GAP + PANEL_WIDTH + GAP
    assert picture.getpixel((second + 480, LABEL_HEIGHT + 250)) == (0, 0, 0)
    out = io.BytesIO()
    picture.save(out, "PNG")  # a picture a reviewer can open


def test_without_a_committed_screenshot_the_picture_says_so() -> None:
    new = Image.new("RGB", (400, 300), (10, 20, 30))
    picture = difference_picture(None, new)
    assert picture.size == (3 * PANEL_WIDTH + 4 * GAP, 300 + LABEL_HEIGHT + GAP)
    assert picture.getpixel((GAP + PANEL_WIDTH + GAP + 10, LABEL_HEIGHT + 10)) == (10, 20, 30)
