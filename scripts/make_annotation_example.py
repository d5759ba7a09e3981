"""Draw the README's annotation example: docs/annotations-screen.png and docs/annotations.png.

The screen is a made-up settings page drawn with Pillow; docs/annotations.png is step 1 of
docs/annotations.yml rendered by guidesmith's own pipeline (the loader, then the transform
every build uses), so the picture shows what the keys do. tests/test_readme.py checks that
it is still what guidesmith renders. Run from the repository root:

    .venv/bin/python scripts/make_annotation_example.py
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont

from generator.loader import load_guide
from generator.markers import builtin_marker, parse_builtin
from generator.transform import render

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "annotations.yml"
SCREEN = ROOT / "docs" / "annotations-screen.png"
PICTURE = ROOT / "docs" / "annotations.png"
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")


def _font(path: Path, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.truetype(str(path), size) if path.exists() else ImageFont.load_default(size)


def draw_screen() -> PILImage.Image:
    """A settings page: a sidebar, a token field, a 'Regenerate' link, two fields, Save."""
    image = PILImage.new("RGB", (1200, 700), "#F6F8FA")
    draw = ImageDraw.Draw(image)
    text, bold, heading = _font(FONT, 22), _font(BOLD, 22), _font(BOLD, 30)
    draw.rectangle((0, 0, 1200, 70), fill="#24292F")
    draw.text((30, 35), "Lab console", fill="#FFFFFF", font=heading, anchor="lm")
    for row, item in enumerate(("Overview", "Devices", "Settings", "API access")):
        draw.text((40, 130 + row * 50), item, fill="#57606A", font=text, anchor="lm")
    draw.rounded_rectangle((420, 110, 1160, 640), radius=12, fill="#FFFFFF", outline="#D0D7DE")
    draw.text((490, 170), "API access", fill="#1F2328", font=heading, anchor="lm")
    draw.text((880, 170), "Regenerate", fill="#0969DA", font=bold, anchor="lm")
    draw.text((490, 230), "Name", fill="#1F2328", font=bold, anchor="lm")
    draw.rounded_rectangle((490, 250, 960, 290), radius=6, fill="#FFFFFF", outline="#8C959F")
    draw.text((505, 270), "workshop-lab", fill="#1F2328", font=text, anchor="lm")
    draw.rounded_rectangle((490, 300, 960, 340), radius=6, fill="#FFFFFF", outline="#8C959F")
    draw.text((505, 320), "tok_live_8f3a9c2e71b54d0e9a6f", fill="#1F2328", font=text,
              anchor="lm")
    draw.text((490, 410), "Expires after", fill="#1F2328", font=bold, anchor="lm")
    draw.rounded_rectangle((490, 430, 960, 470), radius=6, fill="#FFFFFF", outline="#8C959F")
    draw.text((505, 450), "30 days", fill="#1F2328", font=text, anchor="lm")
    draw.rounded_rectangle((1000, 560, 1110, 610), radius=8, fill="#1F883D")
    draw.text((1055, 585), "Save", fill="#FFFFFF", font=bold, anchor="mm")
    return image


def render_example(guide: Path = GUIDE) -> PILImage.Image:
    """Step 1 of the example guide, rendered as a build renders it."""
    spec = load_guide(guide).guide.numbered_steps()[0][1].image
    assert spec is not None and spec.marker is not None
    with PILImage.open(guide.parent / spec.src) as source:
        source.load()
        colour = parse_builtin(spec.marker.src)
        image, _ = render(source, spec, builtin_marker(colour or "FB923C"))
    return image


def main() -> None:
    draw_screen().save(SCREEN, optimize=True)
    render_example().save(PICTURE, optimize=True)
    print(f"Wrote {SCREEN.relative_to(ROOT)} and {PICTURE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
