"""Scribe Markdown export -> Guide -> guides/<slug>.yml.

`parse_export` reads one export (current `1\\.` steps or older `**1. ...**` ones, possibly
inside a larger page) into a Guide and a list of warnings with line numbers: nothing the
parser does not recognise is dropped silently. `run_import` is what the `import` command
calls: a file or a folder of exports (with its series index, when there is one), written as
guide files, optionally with every screenshot downloaded next to the guide.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from pydantic import ValidationError

from generator.cloudimg import CloudimgError, is_cloudimg_url, parse_image_url, unescape
from generator.fsutil import atomic_write
from generator.model import Guide, Image, Marker, Step
from generator.yamlwriter import dump_guide, guide_data

Fetch = Callable[[str], bytes]

# --- line shapes -------------------------------------------------------------------------

_FRONT_MATTER_END = ("---", "...")
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
_STEP = re.compile(r"^(\d{1,4})\\\.(?:\s+(.*))?$")
# `**3. text**` (the text may run over several lines before the closing `**`) or `**3.** text`
_BOLD_STEP = re.compile(r"^\*\*(\d{1,4})\\?\.(\*\*)?(?:\s+(.*))?$")
_URL = r"<[^>\n]*>|(?:[^()\s]|\([^()\s]*\))+"
_IMAGE = re.compile(rf'^!\[(?P<alt>[^\]]*)\]\((?P<url>{_URL})(?:\s+"[^"]*")?\)\s*$')
_SCRIBE_LINK = re.compile(
    r"^(?:#{1,6}\s+)?\[(?P<text>[^\]]*\bscribe\b[^\]]*)\]\((?P<url>[^()\s]+)\)\s*$", re.IGNORECASE
)
_FOOTER = re.compile(r"made with scribe", re.IGNORECASE)
_THEMATIC_BREAK = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_CALLOUT = re.compile(r"^(\*\*)?(tip|alert)\s*:\s*(\*\*)?\s*", re.IGNORECASE)
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s")
_ESCAPED_KEY = re.compile(r"\\\[\\\[(.+?)\\\]\\\]")
_TRAILING_BACKSLASHES = re.compile(r"\\{1,2}$")
_INDEX_LINK = re.compile(rf'(?<!!)\[(?P<text>[^\]]*)\]\((?P<target>{_URL})(?:\s+"[^"]*")?\)')
_ORDER_PREFIX = re.compile(r"^(\d+)(?=[._\s-])")
_TITLE_PREFIX = re.compile(r"^\d+\.\s*(?=\D)")

MARKDOWN_SUFFIXES = (".md", ".markdown")
IMAGE_SUFFIXES = {".jpg": "jpg", ".jpeg": "jpeg", ".png": "png", ".gif": "gif", ".webp": "webp"}


class ImportProblem(Exception):
    """An export that cannot be imported, or an import that would overwrite guides."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class ImportResult:
    """One imported guide, the slug its file is named by, and what the author should check."""

    guide: Guide
    slug: str
    warnings: list[str] = field(default_factory=list)


@dataclass
class ImportedFile:
    """What happened to one file of an import: a guide written, or why it was skipped."""

    export: Path
    path: Path | None = None
    result: ImportResult | None = None
    note: str = ""
    failures: list[str] = field(default_factory=list)


# --- names -------------------------------------------------------------------------------


def slug_for(filename: str) -> str:
    """'07.prepare_nautobot.md' -> '07-prepare-nautobot'."""
    stem = PurePosixPath(filename).name
    for suffix in MARKDOWN_SUFFIXES:
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
    return re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-") or "guide"


def order_for(filename: str) -> int | None:
    """7 for '07.prepare_nautobot.md'; None when the name has no order prefix."""
    match = _ORDER_PREFIX.match(PurePosixPath(filename).name)
    return int(match[1]) if match else None


def _title_from_name(filename: str) -> str:
    """'05.reset_the_router.md' -> 'Reset the router'."""
    stem = slug_for(filename)
    stem = re.sub(r"^\d+-", "", stem).replace("-", " ")
    return stem[:1].upper() + stem[1:]


def _title_text(heading: str) -> str:
    """'02.Generate a PAT' or '02. Generate a PAT' -> 'Generate a PAT'."""
    return _TITLE_PREFIX.sub("", heading.strip(), count=1).strip() or heading.strip()


# --- the parser --------------------------------------------------------------------------


@dataclass
class _Block:
    kind: str  # image | heading | link | step | callout | para
    line: int  # 0-based index of the first line
    lines: list[str]
    match: re.Match[str] | None = None


@dataclass
class _Draft:
    """A step being assembled, before its image is taken apart."""

    line: int
    text: str
    image: tuple[int, str, str] | None = None  # (line, alt, url)
    tip: str | None = None
    alert: str | None = None


def _is_blank(line: str) -> bool:
    return not line.strip()


def _step_match(line: str) -> re.Match[str] | None:
    return _STEP.match(line.rstrip()) or _BOLD_STEP.match(line.rstrip())


def _starts_block(line: str) -> bool:
    """A line that cannot continue the paragraph above it."""
    return bool(
        _IMAGE.match(line)
        or _HEADING.match(line)
        or _step_match(line)
        or _CALLOUT.match(line)
        or _FENCE.match(line)
    )


def _fence_end(lines: list[str], start: int, end: int) -> int:
    """Index of the line closing the fence opened at `start` (or `end - 1`)."""
    marker = _FENCE.match(lines[start])
    assert marker is not None
    for j in range(start + 1, end):
        if lines[j].strip().startswith(marker[1]):
            return j
    return end - 1


def _paragraph(lines: list[str], start: int, end: int) -> int:
    """Index after the paragraph starting at `start`."""
    j = start + 1
    while j < end and not _is_blank(lines[j]) and not _starts_block(lines[j]):
        j += 1
    return j


def _step_end(lines: list[str], start: int, end: int, bold: bool) -> int:
    """Index after a step's text: its paragraph, and what a trailing `\\` carries over."""
    if bold and not lines[start].rstrip().endswith("**"):
        j = start + 1
        while j < end and not _is_blank(lines[j]) and not _starts_block(lines[j]):
            j += 1
            if lines[j - 1].rstrip().endswith("**"):
                break
        return j
    j = _paragraph(lines, start, end)
    # A hard break before a blank line (07.prepare_nautobot.md, step 32): the step goes on,
    # typically with a bullet list.
    while j < end and _TRAILING_BACKSLASHES.search(lines[j - 1].rstrip()):
        k = j
        while k < end and _is_blank(lines[k]):
            k += 1
        if k == j or k >= end or _starts_block(lines[k]):
            break
        j = _paragraph(lines, k, end)
    return j


def _blocks(lines: list[str], start: int, end: int) -> Iterator[_Block]:
    i = start
    while i < end:
        line = lines[i]
        if _is_blank(line):
            i += 1
            continue
        if _FENCE.match(line):
            j = _fence_end(lines, i, end) + 1
            yield _Block("para", i, lines[i:j])
        elif match := _IMAGE.match(line):
            j = i + 1
            yield _Block("image", i, [line], match)
        elif match := _SCRIBE_LINK.match(line):
            j = i + 1
            yield _Block("link", i, [line], match)
        elif match := _HEADING.match(line):
            j = i + 1
            yield _Block("heading", i, [line], match)
        elif match := _step_match(line):
            # `**3. text**` runs to its closing `**`; `**3.** text` is an ordinary paragraph.
            bold = line.startswith("**") and not match[2]
            j = _step_end(lines, i, end, bold)
            yield _Block("step", i, lines[i:j], match)
        elif match := _CALLOUT.match(line):
            j = _paragraph(lines, i, end)
            yield _Block("callout", i, lines[i:j], match)
        else:
            j = _paragraph(lines, i, end)
            yield _Block("para", i, lines[i:j])
        i = j


def _clean_text(lines: list[str]) -> str:
    """Markdown text of a block: hard breaks as a single trailing `\\`, blank runs as one."""
    rows = [line.rstrip() for line in lines]
    out: list[str] = []
    for n, row in enumerate(rows):
        nxt = rows[n + 1] if n + 1 < len(rows) else ""
        if _TRAILING_BACKSLASHES.search(row):
            row = _TRAILING_BACKSLASHES.sub("", row).rstrip()
            # A break only means something between two lines of text; before a blank line
            # or a list item it would show as a stray backslash.
            if nxt.strip() and not _LIST_ITEM.match(nxt):
                row += "\\"
        if not row.strip() and out and not out[-1].strip():
            continue
        out.append(row)
    text = "\n".join(out).strip("\n")
    return _ESCAPED_KEY.sub(r"[[\1]]", text).strip()


def _step_text(block: _Block) -> str:
    match = block.match
    assert match is not None
    if block.lines[0].startswith("**"):
        closed_early = bool(match[2])
        first = match[3] or ""
        text = _clean_text([first, *block.lines[1:]])
        if not closed_early and text.endswith("**"):
            text = text[:-2].rstrip()
        return text
    return _clean_text([match[2] or "", *block.lines[1:]])


def _callout(block: _Block) -> tuple[str, str]:
    match = block.match
    assert match is not None
    first = block.lines[0][match.end() :]
    text = _clean_text([first, *block.lines[1:]])
    if match[1] and not match[3] and text.endswith("**"):
        text = text[:-2].rstrip()
    return match[2].lower(), text


def _heading_text(match: re.Match[str]) -> str:
    return match[2].strip()


def _find_title(lines: list[str], start: int) -> tuple[int | None, int]:
    """The Scribe title's line and where its part of the page ends (the next `# `)."""
    h1s: list[int] = []
    in_fence = False
    for i in range(start, len(lines)):
        if _FENCE.match(lines[i]):
            in_fence = not in_fence
        elif not in_fence and (m := _HEADING.match(lines[i])) and len(m[1]) == 1:
            h1s.append(i)
    best: tuple[int, int, int] | None = None  # (score, title, end)
    for n, title in enumerate(h1s):
        end = h1s[n + 1] if n + 1 < len(h1s) else len(lines)
        part = lines[title + 1 : end]
        has_steps = any(_step_match(line) for line in part)
        has_link = any(_SCRIBE_LINK.match(line) for line in part)
        score = 2 * has_link + has_steps if has_steps else 0
        if score and (best is None or score > best[0]):
            best = (score, title, end)
    if best is None:
        return None, len(lines)
    return best[1], best[2]


def _front_matter_end(lines: list[str]) -> int:
    """Index after the YAML front matter, or 0."""
    if not lines or lines[0].strip() != "---":
        return 0
    for i in range(1, len(lines)):
        if lines[i].strip() in _FRONT_MATTER_END:
            return i + 1
    return 0


_NOT_A_STEP = "text that is not a step, image or callout"


class _Parser:
    def __init__(self, text: str, filename: str) -> None:
        self.filename = filename
        self.lines = text.removeprefix("\ufeff").splitlines()
        self.notes: list[tuple[int, str]] = []
        self.title = ""
        self.source: str | None = None
        self.footer_source: str | None = None
        self.description: list[str] = []
        self.items: list[_Draft | str] = []
        self.steps = 0

    def warn(self, index: int, message: str) -> None:
        self.notes.append((index + 1, message))

    def _skipped(self, start: int, end: int, where: str) -> None:
        used = [i for i in range(start, end) if not _is_blank(self.lines[i])]
        if used:
            first, last = used[0], used[-1]
            span = f"line {first + 1}" if first == last else f"lines {first + 1}-{last + 1}"
            self.warn(first, f"skipped {span} {where}")

    def parse(self) -> None:
        lines = self.lines
        fm_end = _front_matter_end(lines)
        title, end = _find_title(lines, fm_end)
        if not any(_step_match(line) for line in lines):
            raise ImportProblem(f"{self.filename}: not a Scribe export: no numbered steps")
        if title is None:
            # Steps without a `# ` title: take the title from the file name.
            self.title = _title_from_name(self.filename)
            first_step = next(i for i, line in enumerate(lines) if _step_match(line))
            self.warn(
                first_step,
                f"no '# ' title above the steps; titled {self.title!r} from the file name",
            )
            body_start = next(
                (i for i in range(fm_end, first_step) if _SCRIBE_LINK.match(lines[i])), first_step
            )
        else:
            heading = _HEADING.match(lines[title])
            assert heading is not None
            self.title = _title_text(_heading_text(heading))
            body_start = title + 1
        first = title if title is not None else body_start
        if fm_end:
            self.warn(0, f"skipped lines 1-{fm_end} (YAML front matter)")
        self._skipped(fm_end, first, "before the Scribe title")
        body_end, after = self._end(body_start, end)
        self._skipped(after, len(lines), "after the Scribe guide")
        for block in _blocks(lines, body_start, body_end):
            self.take(block)
        if self.source is None:
            self.source = self.footer_source

    def _end(self, start: int, end: int) -> tuple[int, int]:
        """(end of the guide's body, where the skipped rest begins); drops the footer."""
        lines = self.lines
        first_step = next((i for i in range(start, end) if _step_match(lines[i])), start)
        in_fence = False
        for i in range(first_step, end):
            if _FENCE.match(lines[i]):
                in_fence = not in_fence
            elif not in_fence and _FOOTER.search(lines[i]):
                if m := _SCRIBE_LINK.match(lines[i]):
                    self.footer_source = unescape(m["url"])
                body_end = i
                k = i - 1
                while k >= start and _is_blank(lines[k]):
                    k -= 1
                if k >= start and _THEMATIC_BREAK.match(lines[k]):
                    body_end = k
                return body_end, i + 1
        # No footer: the guide ends at the first heading above level 4 after its last step.
        last_step = max(i for i in range(start, end) if _step_match(lines[i]))
        for i in range(last_step, end):
            if (m := _HEADING.match(lines[i])) and len(m[1]) <= 3:
                return i, i
        return end, end

    # --- blocks ---

    def _current(self) -> _Draft | None:
        for item in reversed(self.items):
            if isinstance(item, _Draft):
                return item
        return None

    def _append(self, block: _Block, text: str, what: str) -> None:
        """Keep an unrecognised block: in the step above, or else in the description."""
        step = self._current()
        if step is not None:
            step.text = f"{step.text}\n\n{text}".strip()
            self.warn(block.line, f"{what} after step {self.steps}; kept in that step's text")
        else:
            self.description.append(text)
            self.warn(block.line, f"{what} before the first step; kept in the description")

    def take(self, block: _Block) -> None:
        match = block.match
        if block.kind == "link" and self.source is None and self.steps == 0:
            assert match is not None
            self.source = unescape(match["url"])
        elif block.kind == "heading":
            assert match is not None
            if len(match[1]) < 4:
                level = len(match[1])
                self.warn(block.line, f"a level-{level} heading in the guide; kept as a section")
            self.items.append(_heading_text(match))
        elif block.kind == "step":
            assert match is not None
            self.steps += 1
            number = int(match[1])
            if number != self.steps:
                self.warn(
                    block.line,
                    f"step numbered {number} is step {self.steps} of the guide"
                    " (numbering is continuous)",
                )
            self.items.append(_Draft(block.line, _step_text(block)))
        elif block.kind == "image":
            assert match is not None
            self._image(block, match)
        elif block.kind == "callout":
            self._callout(block)
        elif block.kind == "para" and self.steps == 0 and not self.items:
            self.description.append(_clean_text(block.lines))
        else:
            what = "a Scribe link" if block.kind == "link" else _NOT_A_STEP
            self._append(block, _clean_text(block.lines), what)

    def _image(self, block: _Block, match: re.Match[str]) -> None:
        step = self._current()
        url = match["url"].strip("<>")
        if step is None or step.image is not None:
            what = "an image" if step is None else "a second image"
            self._append(block, block.lines[0].strip(), what)
            return
        if match["alt"].strip():
            alt = match["alt"].strip()
            self.warn(block.line, f"image alt text {alt!r} is not kept (guides have none)")
        step.image = (block.line, match["alt"], url)

    def _callout(self, block: _Block) -> None:
        kind, text = _callout(block)
        step = self._current()
        if step is None:
            self._append(block, _clean_text(block.lines), f"a {kind.capitalize()}:")
            return
        existing = getattr(step, kind)
        if existing is not None:
            self.warn(block.line, f"a second {kind} for step {self.steps}; joined to the first")
            text = f"{existing}\n\n{text}"
        setattr(step, kind, text)


# --- images ------------------------------------------------------------------------------


def _image_fields(url: str) -> dict[str, Any]:
    """Every field of the image the URL describes, explicit, so defaults cannot change it."""
    fields = parse_image_url(url)
    image = Image.model_validate(fields)
    if not is_cloudimg_url(url):
        # Shown as it is: no resize, no marker, whatever image_defaults say.
        return {"src": image.src, "width": None, "marker": None}
    data = image.model_dump(exclude={"origin"})
    if image.crop is None:
        del data["crop"]
    return data


def _majority(values: list[Any]) -> tuple[bool, Any]:
    """(True, value) when more than half of `values` are that value."""
    if not values:
        return False, None
    counts = Counter(repr(v) for v in values)
    key, count = counts.most_common(1)[0]
    if count * 2 <= len(values):
        return False, None
    return True, next(v for v in values if repr(v) == key)


def _hoist(images: list[dict[str, Any]]) -> dict[str, Any] | None:
    """image_defaults: the settings most (more than half) of the cloudimg images share."""
    cloudimg = [i for i in images if "format" in i]
    defaults: dict[str, Any] = {}
    for name in ("width", "format", "quality"):
        found, value = _majority([i[name] for i in cloudimg])
        if found and value is not None:
            defaults[name] = value
    markers = [i["marker"] for i in cloudimg if i["marker"] is not None]
    marker: dict[str, Any] = {}
    for name in ("src", "opacity", "gravity", "scale"):
        found, value = _majority([m[name] for m in markers])
        if found and (name != "scale" or Marker(scale=value).scale != Marker().scale):
            marker[name] = value
    if marker:
        defaults["marker"] = marker
    return defaults or None


def _unknown_params(parser: _Parser, line: int, params: dict[str, str], seen: set[str]) -> None:
    new = [k for k in params if k not in seen]
    if new:
        seen.update(new)
        names = ", ".join(f"{k}={params[k]}" for k in new)
        parser.warn(
            line, f"cloudimg parameter(s) guidesmith does not apply, kept under params: {names}"
        )


def _build(parser: _Parser) -> Guide:
    images: list[dict[str, Any]] = []
    steps: list[dict[str, Any]] = []
    seen_params: set[str] = set()
    for item in parser.items:
        if isinstance(item, str):
            steps.append({"section": item})
            continue
        step: dict[str, Any] = {"text": item.text}
        for kind in ("tip", "alert"):
            if getattr(item, kind) is not None:
                step[kind] = getattr(item, kind)
        if item.image is not None:
            line, _alt, url = item.image
            try:
                fields = _image_fields(url)
            except (CloudimgError, ValidationError) as exc:
                problem = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
                parser.warn(
                    line, f"cannot take the cloudimg URL apart ({problem}); image kept as it is"
                )
                fields = {"src": unescape(url), "width": None, "marker": None}
            if not fields["src"].startswith(("http://", "https://")):
                src = fields["src"]
                parser.warn(line, f"image {src!r} is not a URL; copy it next to the guide")
            _unknown_params(parser, line, fields.get("params", {}), seen_params)
            images.append(fields)
            step["image"] = fields
        steps.append(step)
    data: dict[str, Any] = {"title": parser.title}
    if parser.description:
        data["description"] = "\n\n".join(d for d in parser.description if d)
    if parser.source:
        data["source"] = parser.source
    order = order_for(parser.filename)
    if order is not None:
        data["order"] = order
    defaults = _hoist(images)
    if defaults:
        data["image_defaults"] = defaults
    data["steps"] = steps
    try:
        return Guide.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"])
        raise ImportProblem(
            f"{parser.filename}: cannot build a guide: {where}: {error['msg']}"
        ) from None


def parse_export(text: str, filename: str) -> ImportResult:
    """One Scribe Markdown export -> a Guide, its slug and warnings ("NAME.md:LINE: ...")."""
    name = PurePosixPath(filename).name
    parser = _Parser(text, name)
    parser.parse()
    guide = _build(parser)
    notes = sorted(parser.notes, key=lambda note: note[0])
    warnings = [f"{name}:{line}: {message}" for line, message in notes]
    return ImportResult(guide, slug_for(name), warnings)


def is_scribe_export(text: str) -> bool:
    """True when the text has numbered steps (`1\\.` or `**1. ...**`)."""
    return any(_step_match(line) for line in text.splitlines())


# --- a series ----------------------------------------------------------------------------


def _read(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportProblem(f"{path.name}: not valid UTF-8; save the file as UTF-8") from None
    except OSError as exc:
        raise ImportProblem(f"{path}: cannot read the file: {exc.strerror}") from None


def _linked_markdown(target: str) -> str | None:
    """The file name a relative link points at, when it is a Markdown file."""
    target = target.strip().strip("<>")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    name = PurePosixPath(unquote(parts.path)).name
    return name if name.lower().endswith(MARKDOWN_SUFFIXES) else None


def read_series_index(path: Path) -> dict[str, tuple[str, int]]:
    """Linked file name -> (chapter, order) from an index of `## Chapter` headings and links.

    The order is the file name's prefix (`07.x.md` -> 7), else the link's position (from
    1). Links above the first `## ` heading have the chapter "".
    """
    chapter = ""
    position = 0
    series: dict[str, tuple[str, int]] = {}
    in_fence = False
    for line in _read(path).splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        if (m := _HEADING.match(line)) and len(m[1]) <= 2:
            chapter = m[2].strip() if len(m[1]) == 2 else ""
            continue
        for link in _INDEX_LINK.finditer(line):
            name = _linked_markdown(link["target"])
            if name is None or name in series:
                continue
            position += 1
            order = order_for(name)
            series[name] = (chapter, order if order is not None else position)
    return series


def find_series_index(src_dir: Path, exports: list[Path]) -> Path | None:
    """The .md beside the exports whose links under `## ` headings point at them, if any."""
    names = {p.name for p in exports}
    best: tuple[int, Path] | None = None
    for path in sorted(src_dir.iterdir()):
        if not path.is_file() or path.suffix.lower() not in MARKDOWN_SUFFIXES or path in exports:
            continue
        try:
            series = read_series_index(path)
        except ImportProblem:
            continue
        count = sum(1 for name, (chapter, _) in series.items() if chapter and name in names)
        if count and (best is None or count > best[0]):
            best = (count, path)
    return best[1] if best else None


def apply_series(result: ImportResult, chapter: str, order: int) -> ImportResult:
    """The result with the chapter (none when "") and order an index gives it."""
    update: dict[str, Any] = {"order": order, "chapter": chapter or None}
    return replace(result, guide=result.guide.model_copy(update=update))


# --- downloads ---------------------------------------------------------------------------


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


def _is_url(src: str) -> bool:
    return src.startswith(("http://", "https://"))


def _safe_name(url: str, taken: set[str]) -> str:
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", PurePosixPath(urlsplit(url).path).name).strip(".-")
    name = name or "marker.png"
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, "png"
    candidate, n = f"{stem}.{suffix}", 1
    while candidate in taken:
        n += 1
        candidate = f"{stem}-{n}.{suffix}"
    taken.add(candidate)
    return candidate


def download_images(
    result: ImportResult, assets_dir: Path, fetch: Fetch, base_dir: Path | None = None
) -> tuple[ImportResult, list[str]]:
    """Fetch every screenshot and marker into `assets_dir`; point `src` at the copies.

    Screenshots are named by step (`03.jpeg`; a screenshot that several steps share is
    fetched once), markers by their file name. Each step's image keeps its URL as `origin`.
    `src` is relative to `base_dir`, the guide file's folder (default: two levels above
    `assets_dir`, as in guides/assets/<slug>/). A failed download is listed ("step 3: ...")
    and that step keeps its URL.
    """
    base_dir = base_dir if base_dir is not None else assets_dir.parent.parent
    guide = result.guide
    failures: list[str] = []
    local: dict[str, str] = {}
    failed: set[str] = set()
    taken: set[str] = set()

    def get(url: str, name: str, label: str) -> str | None:
        if url in local:
            return local[url]
        if url in failed:
            failures.append(f"{label}: download failed before (see above): {url}")
            return None
        try:
            data = fetch(url)
        except Exception as exc:  # the injected fetcher's own error type is not known here
            message = str(exc).strip().splitlines()
            failures.append(f"{label}: {message[0] if message else type(exc).__name__}")
            failed.add(url)
            return None
        ext = _extension(url, data)
        if ext is None:
            failures.append(f"{label}: {url} is not a JPEG, PNG, GIF or WebP image")
            failed.add(url)
            return None
        filename = f"{name}.{ext}" if "." not in name else name
        taken.add(filename)
        atomic_write(assets_dir / filename, data)
        local[url] = Path(os.path.relpath(assets_dir / filename, base_dir)).as_posix()
        return local[url]

    def marker_src(marker: Marker | None, label: str) -> Marker | None:
        if marker is None or not _is_url(marker.src):
            return marker
        name = local.get(marker.src) or _safe_name(marker.src, taken)
        src = get(marker.src, name, label)
        return marker if src is None else marker.model_copy(update={"src": src})

    defaults = guide.image_defaults
    if defaults is not None and defaults.marker is not None:
        new_marker = marker_src(defaults.marker, "marker")
        defaults = defaults.model_copy(update={"marker": new_marker})
    items: list[Any] = []
    number = 0
    for item in guide.steps:
        if not isinstance(item, Step):
            items.append(item)
            continue
        number += 1
        image = item.image
        if image is not None and _is_url(image.src):
            src = get(image.src, f"{number:02d}", f"step {number}")
            if src is not None:
                image = image.model_copy(update={"src": src, "origin": image.origin or image.src})
        if image is not None and image.marker is not None:
            marker = marker_src(image.marker, f"step {number} marker")
            image = image.model_copy(update={"marker": marker})
        items.append(item.model_copy(update={"image": image}))
    updated = guide.model_copy(update={"steps": items, "image_defaults": defaults})
    # Through plain data and back: the Guide that loading the written file gives.
    return replace(result, guide=Guide.model_validate(guide_data(updated))), failures


# --- writing -----------------------------------------------------------------------------


def header_for(export_name: str) -> str:
    return f"Imported from {export_name} by guidesmith import"


def _refuse_overwrite(paths: list[Path]) -> None:
    existing = [p for p in paths if p.exists()]
    if existing:
        names = ", ".join(str(p) for p in existing)
        noun = "a guide file that exists" if len(existing) == 1 else "guide files that exist"
        raise ImportProblem(f"refusing to overwrite {noun}: {names} (use --force to replace)")


def _write(result: ImportResult, out_path: Path, export: Path) -> None:
    atomic_write(out_path, dump_guide(result.guide, header_for(export.name)))


def import_file(
    export: Path, out_path: Path, force: bool = False, *, fetch: Fetch | None = None
) -> ImportedFile:
    """Import one export into `out_path`; with `fetch`, download its images beside it."""
    result = parse_export(_read(export), export.name)
    if not force:
        _refuse_overwrite([out_path])
    failures: list[str] = []
    if fetch is not None:
        assets = out_path.parent / "assets" / out_path.name.removesuffix(".yml")
        result, failures = download_images(result, assets, fetch, out_path.parent)
    _write(result, out_path, export)
    return ImportedFile(export, out_path, result, failures=failures)


def import_directory(
    src_dir: Path, guides_dir: Path, force: bool = False, *, fetch: Fetch | None = None
) -> list[ImportedFile]:
    """Import every export in `src_dir` into guides_dir/<slug>.yml; skip what is not one.

    When a series index is beside them, each guide gets its chapter and order from it.
    Nothing is written when a guide would be overwritten (without `force`), when two
    exports would have the same slug, or when an export cannot be imported.
    """
    files = sorted(
        p for p in src_dir.iterdir() if p.is_file() and p.suffix.lower() in MARKDOWN_SUFFIXES
    )
    texts = {p: _read(p) for p in files}
    exports = [p for p in files if is_scribe_export(texts[p])]
    index = find_series_index(src_dir, exports)
    series = read_series_index(index) if index is not None else {}
    outcomes: list[ImportedFile] = []
    problems: list[str] = []
    for path in files:
        if path == index:
            names = {p.name for p in exports}
            missing = sorted(n for n in series if n not in names)
            note = f"series index: chapters and order for {len(series) - len(missing)} guides"
            if missing:
                note += f"; links to files that are not here: {', '.join(missing)}"
            outcomes.append(ImportedFile(path, note=note))
        elif path not in exports:
            note = "skipped: not a Scribe export (no numbered steps)"
            outcomes.append(ImportedFile(path, note=note))
        else:
            try:
                result = parse_export(texts[path], path.name)
            except ImportProblem as exc:
                problems.append(exc.message)
                continue
            if path.name in series:
                result = apply_series(result, *series[path.name])
            elif index is not None:
                result.warnings.append(
                    f"{path.name}:1: not linked from the series index {index.name}; no chapter"
                )
            outcomes.append(ImportedFile(path, guides_dir / f"{result.slug}.yml", result))
    slugs = Counter(o.path for o in outcomes if o.path is not None)
    for out, count in sorted(slugs.items()):
        if count > 1:
            sources = ", ".join(o.export.name for o in outcomes if o.path == out)
            problems.append(f"{sources}: would all be written to {out}; rename one of them")
    if problems:
        raise ImportProblem("\n".join(problems))
    if not force:
        _refuse_overwrite([o.path for o in outcomes if o.path is not None])
    for outcome in outcomes:
        if outcome.path is None or outcome.result is None:
            continue
        if fetch is not None:
            assets = guides_dir / "assets" / outcome.result.slug
            outcome.result, outcome.failures = download_images(
                outcome.result, assets, fetch, guides_dir
            )
        _write(outcome.result, outcome.path, outcome.export)
    return outcomes


def run_import(
    source: Path, guides_dir: Path, *, force: bool = False, fetch: Fetch | None = None
) -> list[ImportedFile]:
    """What `guidesmith import SOURCE` does: a folder of exports, or one export file."""
    if source.is_dir():
        return import_directory(source, guides_dir, force, fetch=fetch)
    if not source.is_file():
        raise ImportProblem(f"{source}: no such file or folder")
    return [import_file(source, guides_dir / f"{slug_for(source.name)}.yml", force, fetch=fetch)]
