"""Scribe Markdown export -> Guide: the parser.

`parse_export` reads one export (current `1\\.` steps or older `**1. ...**` ones, possibly
inside a larger page) into a Guide and a list of warnings with line numbers: nothing the
parser does not recognise is dropped silently. Pure apart from `read_export`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import ValidationError

from generator.cloudimg import CloudimgError, is_cloudimg_url, parse_image_url, unescape
from generator.model import Guide, Image, Marker

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
_ORDER_PREFIX = re.compile(r"^(\d+)(?=[._\s-])")
_TITLE_PREFIX = re.compile(r"^\d+\.\s*(?=\D)")

MARKDOWN_SUFFIXES = (".md", ".markdown")



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



def read_export(path: Path) -> str:
    """An export's text; a file that is not UTF-8 or cannot be read is an ImportProblem."""
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportProblem(f"{path.name}: not valid UTF-8; save the file as UTF-8") from None
    except OSError as exc:
        raise ImportProblem(f"{path}: cannot read the file: {exc.strerror}") from None
