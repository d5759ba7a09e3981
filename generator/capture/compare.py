"""Screenshots as pixels: redaction burnt in, compared, and a difference picture to look at.

Pure Pillow, no browser: `guidesmith capture` keeps a screenshot only when its pixels
changed (no Git churn), and `capture --check` says how much of each one changed and draws
the committed and the new screenshot side by side with the changed pixels marked.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image as PILImage
from PIL import ImageChops, ImageDraw, ImageFilter, ImageFont

from generator.annotate import redact
from generator.model import Redaction
from generator.transform import encode

Box = tuple[int, int, int, int]
# A pixel counts as changed when a channel moved by more than this: text anti-aliasing
# that differs by a shade is not a change a reader would see.
TOLERANCE = 24
PANEL_WIDTH = 960
GAP = 24
LABEL_HEIGHT = 40
CHANGED = (236, 72, 153)  # pink-500: not a colour UIs or the click marker use much
CROP = (37, 99, 235)
CLICK = (251, 146, 60)  # the click marker's orange
RING = 14
_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def decode(data: bytes) -> PILImage.Image | None:
    """PNG bytes as an RGB image; None when they are not a readable PNG (a damaged file)."""
    try:
        with PILImage.open(io.BytesIO(data), formats=["PNG"]) as opened:
            return opened.convert("RGB")
    except (OSError, SyntaxError, ValueError):
        return None


def burn_in(img: PILImage.Image, boxes: list[Box]) -> PILImage.Image:
    """`img` with each box hidden as `build` hides it, so the committed source never holds
    what a redaction covers (a token typed with `${NAME}`, for one)."""
    if not boxes:
        return img
    return redact(img, [Redaction(box=box) for box in boxes if _area(box)])


def _area(box: Box) -> int:
    return max(0, box[2] - box[0]) * max(0, box[3] - box[1])


def png_bytes(img: PILImage.Image) -> bytes:
    """The screenshot as written: the same pixels always give the same bytes."""
    return encode(img, "png", 100)


def same(a: PILImage.Image | None, b: PILImage.Image) -> bool:
    """Exactly the same pixels."""
    return a is not None and a.size == b.size and ImageChops.difference(a, b).getbbox() is None


def changed_mask(old: PILImage.Image, new: PILImage.Image) -> PILImage.Image | None:
    """A mask (mode 1) of the pixels that changed beyond TOLERANCE; None when the sizes differ."""
    if old.size != new.size:
        return None
    bands = ImageChops.difference(old, new).split()
    most = bands[0]
    for band in bands[1:]:
        most = ImageChops.lighter(most, band)
    return most.point(lambda v: 255 if v > TOLERANCE else 0).convert("1")


def changed_share(old: PILImage.Image, new: PILImage.Image, box: Box | None = None) -> float:
    """The share (0-1) of pixels that changed, within `box` (what the step's image shows)
    when given; 1 when the sizes differ."""
    return share_of(changed_mask(old, new), box)


def share_of(mask: PILImage.Image | None, box: Box | None = None) -> float:
    """changed_share of a mask made already (None: the sizes differ)."""
    if mask is None:
        return 1.0
    if box is not None and _area(box):
        mask = mask.crop(box)
    return mask.histogram()[-1] / (mask.width * mask.height)


@dataclass(frozen=True)
class Marks:
    """What a screenshot's step shows of it: the crop and the click point, drawn over
    each panel of the difference picture."""

    crop: Box | None = None
    click: tuple[int, int] | None = None


def difference_picture(
    old: PILImage.Image | None, new: PILImage.Image, old_marks: Marks = Marks(),
    new_marks: Marks = Marks(), *, mask: PILImage.Image | None = None,
) -> PILImage.Image:
    """The committed screenshot, the new one, and the new one faded with the changed pixels
    in pink, side by side and labelled, each with its step's crop and click point: what a
    reviewer opens to see what moved. `mask`: changed_mask(old, new), when made already."""
    if mask is None and old is not None:
        mask = changed_mask(old, new)
    faded = PILImage.blend(new.convert("L").convert("RGB"),
                           PILImage.new("RGB", new.size, "white"), 0.6)
    if mask is not None:
        grown = mask.convert("L").filter(ImageFilter.MaxFilter(_odd(new.width // 400)))
        faded.paste(CHANGED, (0, 0), grown)
    panels = [("committed", old, old_marks), ("now", new, new_marks),
              ("changed", faded, new_marks)]
    shown = [(label, _marked(img, marks) if img is not None else None)
             for label, img, marks in panels]
    height = max(img.height for _, img in shown if img is not None)
    picture = PILImage.new("RGB", (3 * PANEL_WIDTH + 4 * GAP, height + LABEL_HEIGHT + GAP),
                           (229, 231, 235))
    draw = ImageDraw.Draw(picture)
    font = _font(20)
    for index, (label, img) in enumerate(shown):
        left = GAP + index * (PANEL_WIDTH + GAP)
        draw.text((left, 8), label, fill=(17, 24, 39), font=font)
        if img is None:
            draw.text((left, LABEL_HEIGHT + 8), "(no committed screenshot)",
                      fill=(107, 114, 128), font=font)
        else:
            picture.paste(img, (left, LABEL_HEIGHT))
            draw.rectangle((left - 1, LABEL_HEIGHT - 1, left + img.width,
                            LABEL_HEIGHT + img.height), outline=(156, 163, 175))
    return picture


def _marked(img: PILImage.Image, marks: Marks) -> PILImage.Image:
    """`img` fitted to a panel, the crop outlined and the click point ringed on it."""
    fitted = _fit(img)
    factor = fitted.width / img.width
    draw = ImageDraw.Draw(fitted)
    if marks.crop is not None:
        draw.rectangle([round(v * factor) for v in marks.crop], outline=CROP, width=2)
    if marks.click is not None:
        x, y = (round(v * factor) for v in marks.click)
        draw.ellipse((x - RING, y - RING, x + RING, y + RING), outline=CLICK, width=4)
    return fitted


def _odd(size: int) -> int:
    return max(3, size | 1)


def _fit(img: PILImage.Image) -> PILImage.Image:
    if img.width <= PANEL_WIDTH:
        return img.copy()
    height = max(1, round(img.height * PANEL_WIDTH / img.width))
    return img.resize((PANEL_WIDTH, height), PILImage.Resampling.LANCZOS)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.truetype(str(_FONT), size) if _FONT.exists() else ImageFont.load_default(size)
