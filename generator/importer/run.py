"""`guidesmith import`: exports (a file, or a folder with its series index) -> guide files.

Reads each export with the parser, gives it the chapter and order the series index says,
writes guides/<slug>.yml (nothing is overwritten without `force`), and with a Fetcher
downloads its images as `guidesmith download` does (generator.download: the same code).
A project whose only guide is the example `guidesmith init` wrote, untouched, gets the
imported guides in its place.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from generator.download import Downloaded, download_guide
from generator.errors import GuideErrors
from generator.fetch import Fetcher
from generator.fsutil import atomic_write
from generator.importer.scribe import (
    MARKDOWN_SUFFIXES,
    ImportProblem,
    ImportResult,
    is_scribe_export,
    parse_export,
    read_export,
    slug_for,
)
from generator.importer.series import apply_series, find_series_index, read_series_index
from generator.pipeline import find_guides
from generator.scaffold import EXAMPLE_SLUG, example_files
from generator.yamlwriter import dump_guide


@dataclass
class ImportedFile:
    """What happened to one file of an import: a guide written, or why it was skipped."""

    export: Path
    path: Path | None = None
    result: ImportResult | None = None
    note: str = ""
    downloaded: Downloaded | None = None  # with --download: what was copied, what failed


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


def _download(outcome: ImportedFile, fetcher: Fetcher | None, root: Path | None) -> None:
    """The written guide's images into guides/assets/<slug>/, as `guidesmith download`."""
    if fetcher is None or outcome.path is None:
        return
    try:
        outcome.downloaded = download_guide(outcome.path, fetcher, root)
    except GuideErrors as exc:  # a guide the importer wrote always loads: a bug if not
        raise ImportProblem(f"{outcome.path}: the imported guide does not load: {exc}") from None


def import_file(
    export: Path, out_path: Path, force: bool = False, *, fetcher: Fetcher | None = None,
    root: Path | None = None,
) -> ImportedFile:
    """Import one export into `out_path`; with `fetcher`, download its images beside it."""
    result = parse_export(read_export(export), export.name)
    if not force:
        _refuse_overwrite([out_path])
    _write(result, out_path, export)
    outcome = ImportedFile(export, out_path, result)
    _download(outcome, fetcher, root)
    return outcome


def import_directory(
    src_dir: Path, guides_dir: Path, force: bool = False, *, fetcher: Fetcher | None = None,
    root: Path | None = None,
) -> list[ImportedFile]:
    """Import every export in `src_dir` into guides_dir/<slug>.yml; skip what is not one.

    When a series index is beside them, each guide gets its chapter and order from it.
    Nothing is written when a guide would be overwritten (without `force`), when two
    exports would have the same slug, or when an export cannot be imported.
    """
    files = sorted(
        p for p in src_dir.iterdir() if p.is_file() and p.suffix.lower() in MARKDOWN_SUFFIXES
    )
    texts = {p: read_export(p) for p in files}
    exports = [p for p in files if is_scribe_export(texts[p])]
    index = find_series_index(src_dir, exports)
    series = read_series_index(index) if index is not None else {}
    outcomes: list[ImportedFile] = []
    problems: list[str] = []
    for path in files:
        if path == index:
            names = {p.name for p in exports}
            missing = sorted(n for n in series if n not in names)
            note = (f"read as the series index: chapters and order for "
                    f"{len(series) - len(missing)} guides")
            if missing:
                note += (f"; it links to files that are not here: {', '.join(missing)} "
                         "(put them beside it and import again)")
            outcomes.append(ImportedFile(path, note=note))
        elif path not in exports:
            note = ("left out: no numbered steps, so not a Scribe export (nothing to do, "
                    "unless it should be one: export it from Scribe as Markdown)")
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
        if outcome.path is not None and outcome.result is not None:
            _write(outcome.result, outcome.path, outcome.export)
    for outcome in outcomes:
        _download(outcome, fetcher, root)
    return outcomes


def run_import(
    source: Path, guides_dir: Path, *, force: bool = False, fetcher: Fetcher | None = None,
    root: Path | None = None,
) -> list[ImportedFile]:
    """What `guidesmith import SOURCE` does: a folder of exports, or one export file."""
    if source.is_dir():
        return import_directory(source, guides_dir, force, fetcher=fetcher, root=root)
    if not source.is_file():
        raise ImportProblem(f"{source}: no such file or folder")
    out = guides_dir / f"{slug_for(source.name)}.yml"
    return [import_file(source, out, force, fetcher=fetcher, root=root)]


# -- the example guide of a new project ---------------------------------------------------


def untouched_example(guides_dir: Path) -> list[Path]:
    """The example guide's files when it is the only guide of `guides_dir` and both it and
    its screenshot are byte for byte what `guidesmith init` wrote; else []."""
    guides = find_guides(guides_dir)
    if [p.name for p in guides] != [f"{EXAMPLE_SLUG}.yml"]:
        return []
    paths = {guides_dir.parent / rel: data for rel, data in example_files().items()}
    for path, data in paths.items():
        expected = data.encode() if isinstance(data, str) else data
        if not path.is_file() or path.read_bytes() != expected:
            return []
    return list(paths)


def remove_example(files: list[Path], guides_dir: Path) -> None:
    """Remove the untouched example (see untouched_example). The home page lists the
    guides by itself (`<!-- guidesmith:series -->`): nothing there names the example."""
    for path in files:
        path.unlink()
        if path.parent != guides_dir and not any(path.parent.iterdir()):
            path.parent.rmdir()
