"""Characters of the guides that no installed font has: the PDFs would show them as boxes.

WeasyPrint lays out the PDFs with Pango, which finds fonts through fontconfig and falls back
to any installed font that has a character; one that no font has prints as an empty box,
and nothing says so. Once per build this asks fontconfig (`fc-list`) for the character sets
of every installed font and returns one warning that names the scripts that would be boxes,
a sample character of each, and the Debian/Ubuntu package whose fonts have them.
"""

from __future__ import annotations

import bisect
import shutil
import subprocess
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from fontTools import unicodedata as scripts

from generator.errors import GuideError
from generator.loader import LoadedGuide
from generator.model import Section, Step
from generator.yamlsource import line_col

# Packages by script (ISO 15924 name); emoji have their own; the rest: fonts-noto-core.
_PACKAGES = {
    "Han": "fonts-noto-cjk",
    "Hiragana": "fonts-noto-cjk",
    "Katakana": "fonts-noto-cjk",
    "Hangul": "fonts-noto-cjk",
    "Bopomofo": "fonts-noto-cjk",
    "emoji": "fonts-noto-color-emoji",
}
_OTHER_PACKAGE = "fonts-noto-core"
# Unicode blocks of emoji pictographs (Unicode's Emoji property is not in Python's tables).
_EMOJI_BLOCKS = frozenset({
    "Miscellaneous Symbols and Pictographs", "Emoticons", "Transport and Map Symbols",
    "Supplemental Symbols and Pictographs", "Symbols and Pictographs Extended-A",
    "Enclosed Alphanumeric Supplement", "Dingbats", "Miscellaneous Symbols",
    "Playing Cards", "Mahjong Tiles", "Domino Tiles",
})
# Without fontconfig nothing can be checked; these scripts print with the DejaVu fonts
# that WeasyPrint's Debian packages bring, so only the others are worth a word then.
_DEJAVU_SCRIPTS = frozenset({"Latin", "Greek", "Cyrillic", "Common", "Inherited"})


@dataclass(frozen=True)
class Coverage:
    """The characters that at least one installed font has, as sorted, merged ranges."""

    starts: tuple[int, ...]
    ends: tuple[int, ...]  # inclusive

    def has(self, char: str) -> bool:
        point = ord(char)
        at = bisect.bisect_right(self.starts, point) - 1
        return at >= 0 and point <= self.ends[at]


def parse_charsets(text: str) -> Coverage:
    """`fc-list --format '%{charset}\\n'` output ("20-7e a0-17f 2013\\n…") -> Coverage."""
    ranges = []
    for part in text.split():
        low, _, high = part.partition("-")
        ranges.append((int(low, 16), int(high or low, 16)))
    merged: list[list[int]] = []
    for low, high in sorted(ranges):
        if merged and low <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], high)
        else:
            merged.append([low, high])
    return Coverage(tuple(r[0] for r in merged), tuple(r[1] for r in merged))


@lru_cache(maxsize=1)
def installed_coverage() -> Coverage | None:
    """What the installed fonts cover, as fontconfig (and so WeasyPrint) sees them; None
    when fontconfig's `fc-list` is not installed or fails."""
    command = shutil.which("fc-list")
    if command is None:
        return None
    try:
        done = subprocess.run([command, "--format", "%{charset}\n"], capture_output=True,
                              text=True, timeout=30, check=True)
        return parse_charsets(done.stdout)
    except (OSError, subprocess.SubprocessError, ValueError):
        return None


def script_of(char: str) -> str:
    """'Han', 'Hiragana', 'Arabic'…; 'emoji' for pictographs; for other characters that
    many scripts share (punctuation, symbols), their Unicode block."""
    name = script_name(char)
    if name not in ("Common", "Inherited"):
        return name
    block = scripts.block(char)
    return "emoji" if block in _EMOJI_BLOCKS else block


def package_for(script: str) -> str:
    """The Debian/Ubuntu package whose fonts have `script` (a name from `script_of`)."""
    if script in _PACKAGES:
        return _PACKAGES[script]
    cjk = "CJK" in script or script in ("Halfwidth and Fullwidth Forms", "Kanbun")
    return "fonts-noto-cjk" if cjk else _OTHER_PACKAGE


def script_name(char: str) -> str:
    return scripts.script_name(scripts.script(char))


def _printed(char: str) -> bool:
    """Characters a font must draw: not spaces, controls, joiners or combining marks
    (variation selectors and the like ride on a character that is checked)."""
    return not unicodedata.category(char).startswith(("C", "Z", "Mn", "Me"))


def _texts(loaded: LoadedGuide) -> Iterator[str]:
    """What of a guide goes into its PDF as text."""
    guide = loaded.guide
    yield from (t for t in (guide.title, guide.description, guide.chapter) if t)
    for item in guide.steps:
        if isinstance(item, Section):
            yield item.section
        elif isinstance(item, Step):
            yield from (t for t in (item.text, item.tip, item.alert) if t)


def font_warnings(guides: list[LoadedGuide]) -> list[GuideError]:
    """At most one warning: the scripts in the guides' text that no installed font has,
    located at the first character that would print as a box."""
    coverage = installed_coverage()
    missing: dict[str, str] = {}  # script -> its first character
    first: tuple[LoadedGuide, str] | None = None
    seen: set[str] = set()
    for loaded in guides:
        for text in _texts(loaded):
            for char in text:
                if char.isascii() or char in seen:
                    continue
                seen.add(char)
                if not _printed(char):
                    continue
                if coverage is not None and coverage.has(char):
                    continue
                script = script_of(char)
                if coverage is None and (
                    script_name(char) in _DEJAVU_SCRIPTS and package_for(script) == _OTHER_PACKAGE
                ):
                    continue  # most likely in DejaVu
                missing.setdefault(script, char)
                first = first or (loaded, char)
    if first is None:
        return []
    loaded, char = first
    named = ", ".join(f"{script} ({sample})" for script, sample in missing.items())
    packages = " ".join(sorted({package_for(script) for script in missing}))
    if coverage is None:
        message = (f"cannot tell whether the PDFs' fonts have {named}: fontconfig's fc-list "
                   "is not installed (apt-get install fontconfig); without fonts for them "
                   f"they print as boxes (apt-get install {packages})")
    else:
        message = (f"no installed font has {named}: the PDFs will show boxes for them "
                   f"(Debian/Ubuntu: apt-get install {packages})")
    line, col = _position(loaded.text, char)
    return [GuideError(loaded.display, message, line, col, severity="warning")]


def _position(text: str, char: str) -> tuple[int | None, int | None]:
    at = text.find(char)
    return line_col(text, at) if at >= 0 else (None, None)
