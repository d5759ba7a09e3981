"""generator.loader: a guide file -> Guide, or one exact line per problem (file:line:col)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from generator.errors import GuideError, GuideErrors
from generator.loader import MAX_GUIDE_BYTES, format_loc, load_guide
from generator.model import Image, Length, Marker, Section, Step

CLOUDIMG = (
    "https://tok.cloudimg.io/https://recorder.example.com/shots/a.jpeg"
    "?tl_px=10,20&br_px=810,620&force_format=png&q=80&width=400.0"
    "&wat=1&wat_opacity=0.5&wat_gravity=southeast&wat_url=builtin:circle%2300FF00&wat_pad=4,-6"
)


def write(tmp_path: Path, content: str | bytes, name: str = "x.yml") -> Path:
    path = tmp_path / "guides" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def problems(tmp_path: Path, content: str | bytes) -> list[str]:
    path = write(tmp_path, content)
    with pytest.raises(GuideErrors) as info:
        load_guide(path, root=tmp_path)
    return [error.text() for error in info.value.errors]


def load(tmp_path: Path, content: str):
    return load_guide(write(tmp_path, content), root=tmp_path)


GUIDE_KEYS = "title, description, source, order, chapter, lang, image_defaults, capture, steps"
STEP_KEYS = "text, image, capture, tip, alert"
IMAGE_KEYS = (
    "width, format, quality, marker, src, origin, crop, params, "
    "redact, highlight, arrow, label, zoom"
)
MARKER_KEYS = "src, opacity, gravity, pad, scale, click"
STEP = "title: T\nsteps:\n  - text: Click it\n"
CAPTURE = "title: T\ncapture: {url: 'http://127.0.0.1:8765/'}\nsteps:\n"


def image(*lines: str) -> str:
    """A guide whose only step has an image mapping with `lines` after `src`."""
    body = "".join(f"      {line}\n" for line in lines)
    return f"title: T\nsteps:\n  - text: Click it\n    image:\n      src: a.png\n{body}"


BAD = [
    # --- YAML itself ---------------------------------------------------------------------
    (
        "lang-not-a-tag",
        "title: T\nlang: English\nsteps:\n  - text: x\n",
        ["guides/x.yml:2:7: lang: expected a language tag like 'en', 'es' or 'pt-BR',"
         " got 'English'"],
    ),
    (
        "syntax-unclosed-list",
        "title: [Log in\nsteps:\n  - text: x\n",
        ["guides/x.yml:2:6: YAML syntax error: the '[' opened on line 1 is not closed"
         " with ']' (or a ',' is missing)"],
    ),
    (
        "syntax-indentation",
        "title: T\nsteps:\n  - text: x\n   tip: y\n",
        ["guides/x.yml:4:4: YAML syntax error: this line does not line up with the lines"
         " above it; check its indentation"],
    ),
    (
        "syntax-colon-in-value",
        "title: Step one: log in\nsteps:\n  - text: x\n",
        ["guides/x.yml:1:16: YAML syntax error: unexpected ':' in a value; put the value in"
         " quotes if it contains ': '"],
    ),
    (
        "syntax-unclosed-quote",
        'title: T\nsteps:\n  - text: "Click\n',
        ["guides/x.yml:3:11: YAML syntax error: a quoted value is never closed"],
    ),
    (
        "tab-in-indentation",
        "title: T\nsteps:\n  - text: x\n    image:\n\t  src: a.png\n",
        ["guides/x.yml:5:1: YAML syntax error: a tab character; YAML indentation must use"
         " spaces"],
    ),
    (
        "key-indented-one-space-too-far",
        "title: T\nsteps:\n  - text: x\n     tip: y\n",
        ["guides/x.yml:4:6: YAML syntax error: 'tip:' is indented 1 space more than 'text:' on"
         " line 3, so YAML reads it as part of that value; line the two keys up"],
    ),
    (
        "image-key-indented-two-spaces-too-far",
        image("crop: [0, 0, 10, 10]").replace("      crop", "        crop"),
        ["guides/x.yml:6:9: YAML syntax error: 'crop:' is indented 2 spaces more than 'src:' on"
         " line 5, so YAML reads it as part of that value; line the two keys up"],
    ),
    (
        "tab-after-a-key",
        image("width:\t1120"),
        ["guides/x.yml:6:13: YAML syntax error: a tab after 'width:'; put a space between a"
         " key's ':' and its value"],
    ),
    (
        "tab-after-a-key-in-braces",
        image("marker: {pad:\t5}"),
        ["guides/x.yml:6:20: YAML syntax error: a tab after 'pad:'; put a space between a"
         " key's ':' and its value"],
    ),
    (
        "tab-before-a-comment",
        "title: T\t# the title\nsteps:\n  - text: x\n",
        ["guides/x.yml:1:9: YAML syntax error: a tab character; YAML separates the parts of a"
         " line with spaces only"],
    ),
    (
        "duplicate-key",
        "title: T\nsteps:\n  - text: x\n    text: y\n",
        ["guides/x.yml:4:5: duplicate key 'text' (first defined on line 3)"],
    ),
    (
        "two-documents",
        STEP + "---\ntitle: U\n",
        ["guides/x.yml:4:1: YAML syntax error: a guide file holds one YAML document; remove"
         " the second '---'"],
    ),
    (
        "key-is-a-list",
        "title: T\n? [a, b]\n: c\nsteps:\n  - text: x\n",
        ["guides/x.yml:2:3: a key must be a plain name, not a list or a mapping"],
    ),
    (
        "control-character",
        "title: T\x07\nsteps:\n  - text: x\n",
        ["guides/x.yml:1:9: a control character (U+0007) is not allowed in YAML; remove it"],
    ),
    # --- the shape of the document -----------------------------------------------------------
    ("empty-file", "", ["guides/x.yml: the file is empty; a guide needs a title and steps"]),
    (
        "only-comments",
        "# nothing yet\n",
        ["guides/x.yml: the file is empty; a guide needs a title and steps"],
    ),
    (
        "a-list",
        "- text: x\n- text: y\n",
        ["guides/x.yml:1:1: expected a mapping with 'title' and 'steps' at the top level,"
         " got a list"],
    ),
    (
        "a-scalar",
        "just some words\n",
        ["guides/x.yml:1:1: expected a mapping with 'title' and 'steps' at the top level,"
         " got 'just some words'"],
    ),
    (
        "a-number",
        "42\n",
        ["guides/x.yml:1:1: expected a mapping with 'title' and 'steps' at the top level,"
         " got 42"],
    ),
    # --- the built-in marker ---------------------------------------------------------------
    (
        "marker-colour-too-short-in-image-defaults",
        'title: T\nimage_defaults:\n  marker: {src: "builtin:circle#FB923"}\n'
        "steps:\n  - text: x\n    image: a.png\n",
        ["guides/x.yml:3:17: image_defaults.marker.src: the colour '#FB923' has 5 hex digits;"
         " write 6, as in builtin:circle#FB923C"],
    ),
    (
        "marker-colour-a-name",
        image('marker: {src: "builtin:circle#orange"}'),
        ["guides/x.yml:6:21: steps[0].image.marker.src: '#orange' is not a colour: write 6 hex"
         " digits (0-9, A-F), as in builtin:circle#FB923C"],
    ),
    (
        "marker-without-colour",
        image("marker: {src: 'builtin:circle'}"),
        ["guides/x.yml:6:21: steps[0].image.marker.src: the built-in marker needs a colour: 6"
         " hex digits, as in builtin:circle#FB923C"],
    ),
    (
        "marker-unknown-shape",
        image("marker: {src: 'builtin:square#FB923C'}"),
        ["guides/x.yml:6:21: steps[0].image.marker.src: unknown built-in marker 'square': the"
         " one built-in marker is builtin:circle#RRGGBB, e.g. builtin:circle#FB923C"],
    ),
    (
        "marker-colour-in-a-cloudimg-url",
        "title: T\nsteps:\n  - text: x\n    image: "
        + CLOUDIMG.replace("circle%2300FF00", "circle%2300FF0") + "\n",
        ["guides/x.yml:4:12: steps[0].image.marker.src: the colour '#00FF0' has 5 hex digits;"
         " write 6, as in builtin:circle#FB923C (cloudimg parameter wat_url)"],
    ),
    # --- unknown keys --------------------------------------------------------------------
    (
        "unknown-imgae",
        "title: T\nsteps:\n  - text: x\n    imgae: a.png\n",
        [f"guides/x.yml:4:5: steps[0].imgae: unknown key 'imgae' (expected one of: {STEP_KEYS});"
         " did you mean 'image'?"],
    ),
    (
        "unknown-titel-replaces-missing-title",
        "titel: T\nsteps:\n  - text: x\n",
        [f"guides/x.yml:1:1: titel: unknown key 'titel' (expected one of: {GUIDE_KEYS}); did"
         " you mean 'title'?"],
    ),
    (
        "unknown-step-at-top-level",
        "title: T\nstep:\n  - text: x\n",
        [f"guides/x.yml:2:1: step: unknown key 'step' (expected one of: {GUIDE_KEYS}); did you"
         " mean 'steps'?"],
    ),
    (
        "unknown-crpo-in-image",
        image("crpo: [0, 0, 10, 10]"),
        [f"guides/x.yml:6:7: steps[0].image.crpo: unknown key 'crpo' (expected one of:"
         f" {IMAGE_KEYS}); did you mean 'crop'?"],
    ),
    (
        "unknown-gravty-in-marker",
        image("marker: {gravty: north}"),
        [f"guides/x.yml:6:16: steps[0].image.marker.gravty: unknown key 'gravty' (expected"
         f" one of: {MARKER_KEYS}); did you mean 'gravity'?"],
    ),
    (
        "unknown-key-nothing-close",
        "title: T\nauthor: me\nsteps:\n  - text: x\n",
        [f"guides/x.yml:2:1: author: unknown key 'author' (expected one of: {GUIDE_KEYS})"],
    ),
    (
        "unknown-numeric-key",
        "title: T\n1: one\nsteps:\n  - text: x\n",
        [f"guides/x.yml:2:1: 1: unknown key '1' (expected one of: {GUIDE_KEYS})"],
    ),
    (
        "unknown-key-in-image-defaults",
        "title: T\nimage_defaults:\n  widht: 800\nsteps:\n  - text: x\n",
        ["guides/x.yml:3:3: image_defaults.widht: unknown key 'widht' (expected one of:"
         " width, format, quality, marker); did you mean 'width'?"],
    ),
    (
        "section-with-extra-keys",
        "title: T\nsteps:\n  - section: Setup\n    text: x\n",
        ["guides/x.yml:4:5: steps[0].text: unknown key 'text': a section has only the key"
         " 'section'"],
    ),
    # --- missing keys ----------------------------------------------------------------------
    (
        "step-missing-text",
        "title: T\nsteps:\n  - text: x\n  - image: a.png\n",
        ["guides/x.yml:4:5: steps[1]: required key 'text' is missing"],
    ),
    (
        "missing-steps",
        "title: T\n",
        ["guides/x.yml:1:1: required key 'steps' is missing"],
    ),
    (
        "image-missing-src",
        "title: T\nsteps:\n  - text: x\n    image:\n      width: 10\n",
        ["guides/x.yml:5:7: steps[0].image: required key 'src' is missing"],
    ),
    # --- wrong types and values --------------------------------------------------------------
    (
        "title-a-list",
        "title: [a, b]\nsteps:\n  - text: x\n",
        ["guides/x.yml:1:8: title: expected text, got a list"],
    ),
    (
        "title-empty",
        "title:\nsteps:\n  - text: x\n",
        ["guides/x.yml:1:7: title: expected text, got nothing"],
    ),
    (
        "title-blank",
        "title: '  '\nsteps:\n  - text: x\n",
        ["guides/x.yml:1:8: title: must not be empty"],
    ),
    (
        "title-a-yaml-boolean",
        "title: yes\nsteps:\n  - text: x\n",
        ["guides/x.yml:1:8: title: expected text, got yes; put it in quotes"],
    ),
    (
        "title-a-date",
        "title: 2025-05-18\nsteps:\n  - text: x\n",
        ["guides/x.yml:1:8: title: expected text, got 2025-05-18; put it in quotes"],
    ),
    (
        "crop-3-items",
        image("crop: [1, 2, 3]"),
        ["guides/x.yml:6:13: steps[0].image.crop: expected 4 integers [x1, y1, x2, y2]"],
    ),
    (
        "crop-strings",
        image("crop: [a, b, c, d]"),
        ["guides/x.yml:6:13: steps[0].image.crop: expected 4 integers [x1, y1, x2, y2]"],
    ),
    (
        "crop-floats",
        image("crop: [0.5, 0, 100, 100]"),
        ["guides/x.yml:6:13: steps[0].image.crop: expected 4 integers [x1, y1, x2, y2]"],
    ),
    (
        "crop-a-string",
        image("crop: 0,0,10,10"),
        ["guides/x.yml:6:13: steps[0].image.crop: expected 4 integers [x1, y1, x2, y2]"],
    ),
    (
        "crop-empty-box",
        image("crop: [100, 0, 50, 10]"),
        ["guides/x.yml:6:13: steps[0].image.crop: empty crop box: x2 (50) must be greater"
         " than x1 (100)"],
    ),
    (
        "width-0",
        image("width: 0"),
        ["guides/x.yml:6:14: steps[0].image.width: expected a width between 1 and 10000,"
         " got 0"],
    ),
    (
        "width-negative",
        image("width: -300"),
        ["guides/x.yml:6:14: steps[0].image.width: expected a width between 1 and 10000,"
         " got -300"],
    ),
    (
        "width-absurd",
        image("width: 20000"),
        ["guides/x.yml:6:14: steps[0].image.width: expected a width between 1 and 10000,"
         " got 20000"],
    ),
    (
        "width-text",
        image("width: abc"),
        ["guides/x.yml:6:14: steps[0].image.width: expected a whole number of pixels,"
         " got 'abc'"],
    ),
    (
        "width-fraction",
        image("width: 1120.5"),
        ["guides/x.yml:6:14: steps[0].image.width: expected a whole number of pixels,"
         " got 1120.5"],
    ),
    (
        "opacity-2",
        image("marker: {opacity: 2}"),
        ["guides/x.yml:6:25: steps[0].image.marker.opacity: expected a number between 0"
         " and 1, got 2"],
    ),
    (
        "opacity-text",
        image("marker: {opacity: half}"),
        ["guides/x.yml:6:25: steps[0].image.marker.opacity: expected a number, got 'half'"],
    ),
    (
        "quality-0",
        image("quality: 0"),
        ["guides/x.yml:6:16: steps[0].image.quality: expected a number between 1 and 100,"
         " got 0"],
    ),
    (
        "gravity-up",
        image("marker: {gravity: up}"),
        ["guides/x.yml:6:25: steps[0].image.marker.gravity: expected one of: north, south,"
         " east, west, northeast, northwest, southeast, southwest, center; got 'up'"],
    ),
    (
        "gravity-typo",
        image("marker: {gravity: nortwest}"),
        ["guides/x.yml:6:25: steps[0].image.marker.gravity: expected one of: north, south,"
         " east, west, northeast, northwest, southeast, southwest, center; got 'nortwest';"
         " did you mean 'northwest'?"],
    ),
    (
        "format-gif",
        image("format: gif"),
        ["guides/x.yml:6:15: steps[0].image.format: expected one of: jpeg, png, webp;"
         " got 'gif'"],
    ),
    (
        "pad-3-values",
        image("marker: {pad: [1, 2, 3]}"),
        ["guides/x.yml:6:21: steps[0].image.marker.pad: expected one value or two [x, y],"
         " got [1, 2, 3]"],
    ),
    (
        "pad-not-a-length",
        image("marker: {pad: [1, far]}"),
        ["guides/x.yml:6:25: steps[0].image.marker.pad[1]: expected a number or a percentage"
         " like '5p', got 'far'"],
    ),
    (
        "pad-infinite",
        image("marker: {pad: .inf}"),
        ["guides/x.yml:6:21: steps[0].image.marker.pad: expected a number or a percentage"
         " like '5p', got inf"],
    ),
    (
        "pad-huge-integer",
        image("marker: {pad: [1" + "0" * 400 + ", 0]}"),
        ["guides/x.yml:6:22: steps[0].image.marker.pad[0]: expected a number or a percentage"
         " like '5p', got 1" + "0" * 36 + "..."],
    ),
    (
        "scale-zero",
        image("marker: {scale: 0}"),
        ["guides/x.yml:6:23: steps[0].image.marker.scale: expected a size above 0, got 0"],
    ),
    (
        "click-one-value",
        image("marker: {click: [5]}"),
        ["guides/x.yml:6:23: steps[0].image.marker.click: expected 2 integers [x, y]"],
    ),
    (
        "order-text",
        "title: T\norder: x\nsteps:\n  - text: x\n",
        ["guides/x.yml:2:8: order: expected a whole number, got 'x'"],
    ),
    (
        "steps-empty",
        "title: T\nsteps: []\n",
        ["guides/x.yml:2:8: steps: a guide needs at least one step"],
    ),
    (
        "steps-a-mapping",
        "title: T\nsteps:\n  text: x\n",
        ["guides/x.yml:3:3: steps: expected a list, got a mapping"],
    ),
    (
        "step-a-string",
        "title: T\nsteps:\n  - Click it\n",
        ["guides/x.yml:3:5: steps[0]: expected a step (a mapping with 'text') or a section,"
         " got 'Click it'"],
    ),
    (
        "image-a-number",
        "title: T\nsteps:\n  - text: x\n    image: 5\n",
        ["guides/x.yml:4:12: steps[0].image: expected a mapping with 'src', or an image URL,"
         " got 5"],
    ),
    (
        "section-empty",
        "title: T\nsteps:\n  - section:\n  - text: x\n",
        ["guides/x.yml:3:13: steps[0].section: expected text, got nothing"],
    ),
    (
        "params-not-text",
        image("params: {dpr: [2]}"),
        ["guides/x.yml:6:21: steps[0].image.params.dpr: expected text, got a list"],
    ),
    # --- images written as cloudimg URLs ---------------------------------------------------
    (
        "url-bad-corner",
        "title: T\nsteps:\n  - text: x\n    image: https://t.cloudimg.io/h.com/a.png?tl_px=a,b\n",
        ["guides/x.yml:4:12: steps[0].image: expected two integers 'x,y', got 'a,b'"
         " (cloudimg parameter tl_px)"],
    ),
    (
        "url-bad-pad",
        "title: T\nsteps:\n  - text: x\n"
        "    image: https://t.cloudimg.io/h.com/a.png?wat=1&wat_pad=1,2,3\n",
        ["guides/x.yml:4:12: steps[0].image: expected one value or two 'x,y', got '1,2,3'"
         " (cloudimg parameter wat_pad)"],
    ),
    (
        "url-bad-opacity-and-width",
        "title: T\nsteps:\n  - text: x\n"
        "    image: https://t.cloudimg.io/h.com/a.png?width=0&wat=1&wat_opacity=7\n",
        ["guides/x.yml:4:12: steps[0].image.width: expected a width between 1 and 10000,"
         " got 0 (cloudimg parameter width)",
         "guides/x.yml:4:12: steps[0].image.marker.opacity: expected a number between 0"
         " and 1, got '7' (cloudimg parameter wat_opacity)"],
    ),
    # --- several problems at once, in file order ---------------------------------------------
    (
        "several-problems",
        "title: [a]\n"
        "order: x\n"
        "steps:\n"
        "  - text: x\n"
        "    imgae: a.png\n"
        "  - image: a.png\n"
        "  - section: S\n"
        "  - text: y\n"
        "    image:\n"
        "      src: a.png\n"
        "      crop: [1, 2, 3]\n"
        "      width: 0\n"
        "      marker: {gravity: up}\n",
        [
            "guides/x.yml:1:8: title: expected text, got a list",
            "guides/x.yml:2:8: order: expected a whole number, got 'x'",
            f"guides/x.yml:5:5: steps[0].imgae: unknown key 'imgae' (expected one of:"
            f" {STEP_KEYS}); did you mean 'image'?",
            "guides/x.yml:6:5: steps[1]: required key 'text' is missing",
            "guides/x.yml:11:13: steps[3].image.crop: expected 4 integers [x1, y1, x2, y2]",
            "guides/x.yml:12:14: steps[3].image.width: expected a width between 1 and 10000,"
            " got 0",
            "guides/x.yml:13:25: steps[3].image.marker.gravity: expected one of: north, south,"
            " east, west, northeast, northwest, southeast, southwest, center; got 'up'",
        ],
    ),
    # --- capture ------------------------------------------------------------------------
    (
        "capture-step-without-guide-capture",
        "title: T\nsteps:\n  - text: x\n    capture: {click: '#a'}\n",
        ["guides/x.yml:4:14: steps[0].capture (step 1): a step with `capture` needs the guide's"
         " `capture:` with the product's `url`"],
    ),
    (
        "capture-two-actions",
        CAPTURE + "  - text: x\n    capture: {click: '#a', fill: {'#b': c}}\n",
        ["guides/x.yml:5:14: steps[0].capture: a step acts on one element: click and fill"
         " together; split them into steps"],
    ),
    (
        "capture-fill-two-fields",
        CAPTURE + "  - text: x\n    capture: {fill: {'#a': b, '#c': d}}\n",
        ["guides/x.yml:5:21: steps[0].capture.fill: expected one {selector: value}, got 2: a"
         " step acts on one element; split the others into steps"],
    ),
    (
        "capture-fill-a-list",
        CAPTURE + "  - text: x\n    capture: {fill: ['#a']}\n",
        ["guides/x.yml:5:21: steps[0].capture.fill: expected a mapping, got a list"],
    ),
    (
        "capture-secret-name",
        CAPTURE + "  - text: x\n    capture: {fill: {'#a': '${1TOKEN}'}}\n",
        ["guides/x.yml:5:28: steps[0].capture.fill['#a']: '${1TOKEN}' is not an environment"
         " variable name (letters, digits and _, not starting with a digit)"],
    ),
    (
        "capture-unknown-key",
        CAPTURE + "  - text: x\n    capture: {clik: '#a'}\n",
        ["guides/x.yml:5:15: steps[0].capture.clik: unknown key 'clik' (expected one of: goto,"
         " wait_for, hover, press, scroll_to, click, fill, select, check, redact, highlight,"
         " crop); did you mean 'click'?"],
    ),
    (
        "capture-and-image",
        CAPTURE + "  - text: x\n    image: a.png\n    capture: {click: '#a'}\n",
        ["guides/x.yml:4:5: steps[0]: a step has `image` or `capture`, not both: `guidesmith"
         " capture` makes the screenshot of a step with `capture`"],
    ),
    (
        "capture-url-not-http",
        "title: T\ncapture: {url: 'ftp://x'}\nsteps:\n  - text: x\n",
        ["guides/x.yml:2:16: capture.url: expected an http(s) URL, got 'ftp://x'"],
    ),
    (
        "capture-without-url",
        "title: T\ncapture: {viewport: [1280, 800]}\nsteps:\n  - text: x\n",
        ["guides/x.yml:2:10: capture: required key 'url' is missing"],
    ),
    (
        "capture-viewport-too-small",
        "title: T\ncapture: {url: 'http://x/', viewport: [10, 800]}\nsteps:\n  - text: x\n",
        ["guides/x.yml:2:39: capture.viewport: expected [width, height], each 200 to 4000 CSS"
         " pixels, got [10, 800]"],
    ),
    (
        "capture-scale",
        "title: T\ncapture: {url: 'http://x/', scale: 9}\nsteps:\n  - text: x\n",
        ["guides/x.yml:2:36: capture.scale: expected a number between 1 and 4, got 9"],
    ),
    (
        "capture-color-scheme",
        "title: T\ncapture: {url: 'http://x/', color_scheme: dim}\nsteps:\n  - text: x\n",
        ["guides/x.yml:2:43: capture.color_scheme: expected one of: light, dark; got 'dim'"],
    ),
    (
        "capture-empty-selector",
        CAPTURE + "  - text: x\n    capture: {click: ''}\n",
        ["guides/x.yml:5:22: steps[0].capture.click: expected a selector (CSS, text=...,"
         " role=...), got ''"],
    ),
    (
        "capture-press-a-number",
        CAPTURE + "  - text: x\n    capture: {press: 5}\n",
        ["guides/x.yml:5:22: steps[0].capture.press: expected a key like 'Enter', or a list of"
         " keys, got 5"],
    ),
    (
        "capture-redact-a-number",
        CAPTURE + "  - text: x\n    capture: {redact: [3]}\n",
        ["guides/x.yml:5:24: steps[0].capture.redact[0]: expected a selector (CSS, text=...,"
         " role=...), got 3"],
    ),
]


@pytest.mark.parametrize(("content", "expected"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_guide_reports_each_problem_on_one_line(
    tmp_path: Path, content: str, expected: list[str]
) -> None:
    assert problems(tmp_path, content) == expected


# --- hostile input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "shown"),
    [
        ('!!python/object/apply:os.system ["touch {marker}"]', "!!python/object/apply:os.system"),
        ("!!python/name:os.system", "!!python/name:os.system"),
        ('!!python/object/new:subprocess.Popen [["touch", "{marker}"]]',
         "!!python/object/new:subprocess.Popen"),
        ("!!binary aGVsbG8=", "!!binary"),
        ("!custom x", "!custom"),
    ],
)
def test_object_building_tags_are_refused_and_nothing_runs(
    tmp_path: Path, tag: str, shown: str
) -> None:
    marker = tmp_path / "ran"
    content = f"title: {tag.format(marker=marker)}\nsteps:\n  - text: x\n"
    assert problems(tmp_path, content) == [
        f"guides/x.yml:1:8: the YAML tag '{shown}' is not allowed: a guide holds only text,"
        " numbers, lists and mappings"
    ]
    assert not marker.exists()


def test_tags_are_refused_wherever_they_are(tmp_path: Path) -> None:
    content = STEP + "    image:\n      src: !!python/object/apply:os.getcwd []\n"
    assert problems(tmp_path, content) == [
        "guides/x.yml:5:12: the YAML tag '!!python/object/apply:os.getcwd' is not allowed:"
        " a guide holds only text, numbers, lists and mappings"
    ]


def test_anchors_and_aliases_are_refused(tmp_path: Path) -> None:
    content = "title: &name T\nsteps:\n  - text: *name\n"
    assert problems(tmp_path, content) == [
        "guides/x.yml:1:8: anchors (&name) are not supported in guides; write the value out"
    ]


def test_billion_laughs_is_refused_quickly(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    started = time.perf_counter()
    assert problems(tmp_path, "\n".join(lines) + "\n") == [
        "guides/x.yml:1:5: anchors (&a0) are not supported in guides; write the value out"
    ]
    assert time.perf_counter() - started < 1


def test_deep_nesting_is_refused_before_python_recursion_fails(tmp_path: Path) -> None:
    content = "title: T\nsteps: " + "[" * 5000 + "]" * 5000 + "\n"
    assert problems(tmp_path, content) == [
        "guides/x.yml:2:39: nested too deeply (more than 32 levels)"
    ]


def test_a_10_mb_file_fails_fast_on_its_size(tmp_path: Path) -> None:
    path = write(tmp_path, b"")
    with path.open("wb") as out:
        out.write(b"title: T\nsteps:\n  - text: x\n")
        out.write(b"# padding\n" * (1024 * 1024))
    started = time.perf_counter()
    with pytest.raises(GuideErrors) as info:
        load_guide(path, root=tmp_path)
    assert time.perf_counter() - started < 0.5
    size = path.stat().st_size
    assert [e.text() for e in info.value.errors] == [
        f"guides/x.yml: file is too large ({size:,} bytes; the limit is {MAX_GUIDE_BYTES:,})"
    ]


def test_non_utf8_bytes_are_located(tmp_path: Path) -> None:
    content = b"title: T\nsteps:\n  - text: Caf\xe9 menu\n"
    assert problems(tmp_path, content) == [
        "guides/x.yml:3:14: not valid UTF-8 (byte 0xe9); save the file as UTF-8"
    ]


def test_utf8_with_bom_loads(tmp_path: Path) -> None:
    path = write(tmp_path, "\ufefftitle: Café\nsteps:\n  - text: x\n".encode())
    assert load_guide(path, root=tmp_path).guide.title == "Café"


def test_a_missing_file_is_a_guide_error(tmp_path: Path) -> None:
    with pytest.raises(GuideErrors) as info:
        load_guide(tmp_path / "guides" / "gone.yml", root=tmp_path)
    assert [e.text() for e in info.value.errors] == [
        "guides/gone.yml: cannot read the file: No such file or directory"
    ]


def test_values_that_only_look_like_dates_or_numbers_stay_text(tmp_path: Path) -> None:
    loaded = load(tmp_path, "title: T\nchapter: !!str 2025-05-18\nsteps:\n  - text: <<\n")
    assert loaded.guide.chapter == "2025-05-18"
    assert loaded.guide.steps[0] == Step(text="<<")
    assert problems(tmp_path, "title: T\norder: 2025-13-45\nsteps:\n  - text: x\n") == [
        "guides/x.yml:2:8: order: expected a whole number, got '2025-13-45'"
    ]


# --- valid guides ---------------------------------------------------------------------------


def test_a_minimal_guide(tmp_path: Path) -> None:
    loaded = load(tmp_path, "title: Log in\nsteps:\n  - text: Open the site\n")
    assert loaded.guide.title == "Log in"
    assert loaded.guide.steps == [Step(text="Open the site")]
    assert (loaded.slug, loaded.display, loaded.warnings) == ("x", "guides/x.yml", [])
    assert loaded.base_dir == tmp_path / "guides"


def test_a_full_guide(tmp_path: Path) -> None:
    loaded = load(
        tmp_path,
        "title: Make a token\n"
        "description: Why you *need* one.\n"
        "source: https://scribehow.com/shared/example\n"
        "order: 2\n"
        "chapter: 'Chapter 0: Preparation'\n"
        "steps:\n"
        "  - text: Open settings\n"
        "    tip: It is top right.\n"
        "  - section: Create it\n"
        "  - text: Copy the token\n"
        "    alert: Shown once.\n"
        "    image:\n"
        "      src: assets/x/02.png\n"
        "      origin: https://recorder.example.com/a.jpeg\n"
        "      crop: [90, 0, 2842, 1538]\n"
        "      marker: {pad: [1059, -8], gravity: NorthWest}\n",
    )
    guide = loaded.guide
    assert (guide.order, guide.chapter) == (2, "Chapter 0: Preparation")
    assert guide.steps[1] == Section(section="Create it")
    step = guide.steps[2]
    assert isinstance(step, Step) and step.image is not None
    assert step.image.crop == (90, 0, 2842, 1538)
    assert step.image.marker is not None
    assert step.image.marker.gravity == "northwest"
    assert step.image.marker.pad == (Length(value=1059), Length(value=-8))


def test_image_as_a_cloudimg_url(tmp_path: Path) -> None:
    loaded = load(tmp_path, f"title: T\nsteps:\n  - text: x\n    image: '{CLOUDIMG}'\n")
    step = loaded.guide.steps[0]
    assert isinstance(step, Step)
    assert step.image == Image(
        src="https://recorder.example.com/shots/a.jpeg",
        crop=(10, 20, 810, 620),
        format="png",
        quality=80,
        width=400,
        marker=Marker(
            src="builtin:circle#00FF00", opacity=0.5, gravity="southeast", pad=(4, -6)
        ),
    )
    assert loaded.warnings == []


def test_image_as_a_plain_path_string(tmp_path: Path) -> None:
    loaded = load(tmp_path, "title: T\nsteps:\n  - text: x\n    image: assets/01.png\n")
    assert loaded.guide.steps[0] == Step(text="x", image=Image(src="assets/01.png"))


DEFAULTS = (
    "title: T\n"
    "image_defaults:\n"
    "  width: 1120.0\n"
    "  format: jpg\n"
    "  quality: 100\n"
    "  marker: {src: 'builtin:circle#FB923C', opacity: 0.7, gravity: northwest}\n"
    "steps:\n"
)


def images(tmp_path: Path, steps: str) -> list[Image | None]:
    guide = load(tmp_path, DEFAULTS + steps).guide
    return [s.image for s in guide.steps if isinstance(s, Step)]


def test_image_defaults_fill_what_a_step_leaves_out(tmp_path: Path) -> None:
    [first, second] = images(
        tmp_path,
        "  - text: a\n    image: {src: a.png}\n"
        "  - text: b\n    image: {src: b.png, width: 600, format: png}\n",
    )
    assert first == Image(
        src="a.png", width=1120, format="jpeg", quality=100,
        marker=Marker(src="builtin:circle#FB923C", opacity=0.7, gravity="northwest"),
    )
    assert second is not None and first is not None
    assert (second.width, second.format, second.quality) == (600, "png", 100)
    assert second.marker == first.marker


def test_image_defaults_marker_is_merged_key_by_key(tmp_path: Path) -> None:
    [image] = images(
        tmp_path, "  - text: a\n    image: {src: a.png, marker: {pad: [10, 20], opacity: 1}}\n"
    )
    assert image is not None
    assert image.marker == Marker(
        src="builtin:circle#FB923C", opacity=1, gravity="northwest", pad=(10, 20)
    )


def test_marker_null_opts_out_of_the_default_marker(tmp_path: Path) -> None:
    [image] = images(tmp_path, "  - text: a\n    image: {src: a.png, marker: null}\n")
    assert image is not None
    assert image.marker is None
    assert image.width == 1120


def test_a_step_without_image_gets_none(tmp_path: Path) -> None:
    assert images(tmp_path, "  - text: a\n") == [None]


def test_url_images_are_not_changed_by_image_defaults(tmp_path: Path) -> None:
    url = "https://t.cloudimg.io/h.example.com/a.png?tl_px=1,2&br_px=30,40"
    [image] = images(tmp_path, f"  - text: a\n    image: '{url}'\n")
    assert image == Image(src="https://h.example.com/a.png", crop=(1, 2, 30, 40))
    assert (image.width, image.marker, image.format, image.quality) == (None, None, "jpeg", 90)


def test_jpg_and_a_whole_float_width_are_accepted(tmp_path: Path) -> None:
    [image] = images(tmp_path, "  - text: a\n    image: {src: a.png, format: JPG, width: 800.0}\n")
    assert image is not None
    assert (image.format, image.width, image.extension) == ("jpeg", 800, "jpg")


def test_format_loc() -> None:
    assert format_loc(("steps", 3, "image", "crop")) == "steps[3].image.crop"
    assert format_loc(("steps", 0)) == "steps[0]"
    assert format_loc(()) == ""
    assert format_loc(("steps", 0, "a b", "c\nd")) == "steps[0]['a b']['c\\nd']"


def test_error_text_and_github_formats() -> None:
    error = GuideError("guides/a,b.yml", "expected 100% or\nless", 3, 5, "steps[0].image")
    assert error.text() == "guides/a,b.yml:3:5: steps[0].image: expected 100% or\nless"
    assert error.github() == (
        "::error file=guides/a%2Cb.yml,line=3,col=5::steps[0].image: expected 100%25 or%0Aless"
    )
    warning = GuideError("guides/x.yml", "kept", severity="warning")
    assert warning.text() == "guides/x.yml: warning: kept"
    assert warning.github() == "::warning file=guides/x.yml::kept"
    assert str(GuideErrors([error, warning])) == f"{error.text()}\n{warning.text()}"


def test_a_parsed_guide_is_reused_from_the_cache_and_still_locates_errors(tmp_path: Path) -> None:
    load = load_guide
    cache = tmp_path / "parsed"
    guide = tmp_path / "guides" / "g.yml"
    guide.parent.mkdir()
    guide.write_text(
        "title: T\nsteps:\n  - text: one\n    image: {src: a.png, crop: [1, 2, 3, 4]}\n"
    )
    first = load(guide, tmp_path, cache)
    assert len(list(cache.rglob("*.json"))) == 1
    second = load(guide, tmp_path, cache)
    assert second.guide == first.guide
    assert "node" not in second.__dict__  # not composed: the cache answered
    assert second.node is not None and second.node.start_mark.line == 0  # composed on demand
    # The same data with a problem the model rejects still gets its line and column.
    guide.write_text("title: T\nsteps:\n  - text: one\n    image: {src: a.png, crop: [1, 2]}\n")
    with pytest.raises(GuideErrors) as caught:
        load(guide, tmp_path, cache)
    with pytest.raises(GuideErrors) as again:
        load(guide, tmp_path, cache)  # now from the cache
    assert [e.text() for e in again.value.errors] == [e.text() for e in caught.value.errors]
    assert again.value.errors[0].line == 4


def test_kept_positions_answer_as_the_node_tree_does(tmp_path: Path) -> None:
    from generator import yamlsource

    guide = tmp_path / "g.yml"
    guide.write_text(
        "title: T\nsteps:\n  - text: one\n    image:\n      src: a.png\n      crop: [1, 2, 3, 4]\n"
        "  - section: S\n  - text: two\n    image: b.png\n"
    )
    cache = tmp_path / "cache"
    load_guide(guide, tmp_path, cache)  # parses and keeps data and positions
    kept = load_guide(guide, tmp_path, cache)
    assert kept.positions is not None and "node" not in kept.__dict__  # nothing composed
    node = yamlsource.load_yaml(guide.read_text())[1]
    paths = [(), ("title",), ("steps", 0, "image", "src"), ("steps", 0, "image", "crop", 3),
             ("steps", 1, "section"), ("steps", 2, "image"),
             ("steps", 2, "image", "crop"),  # not written: its nearest ancestor
             ("steps", 9, "text"), ("nope",)]
    for loc in paths:
        assert kept.locate(loc) == yamlsource.locate(node, loc), loc
    assert "node" not in kept.__dict__


def test_a_rebuild_with_warnings_does_not_compose_the_yaml_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from generator import loader

    guide = tmp_path / "g.yml"
    guide.write_text(
        "title: T\nsteps:\n  - text: one\n    image: {src: a.png, params: {zz: '1'}}\n"
    )
    cache = tmp_path / "cache"
    first = load_guide(guide, tmp_path, cache)
    composed: list[str] = []
    real = loader.load_yaml
    monkeypatch.setattr(loader, "load_yaml", lambda text: composed.append(text) or real(text))
    again = load_guide(guide, tmp_path, cache)
    assert [w.text() for w in again.warnings] == [w.text() for w in first.warnings]
    assert again.warnings and composed == []
