"""`guidesmith import`: exports (a file, or a folder with its series index) -> guide files.

Reads each export with the parser, gives it the chapter and order the series index says,
optionally downloads its images, and writes guides/<slug>.yml; nothing is overwritten
without `force`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from generator.fsutil import atomic_write
from generator.importer.download import Fetch, download_images
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
from generator.yamlwriter import dump_guide


@dataclass
class ImportedFile:
    """What happened to one file of an import: a guide written, or why it was skipped."""

    export: Path
    path: Path | None = None
    result: ImportResult | None = None
    note: str = ""
    failures: list[str] = field(default_factory=list)



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
    result = parse_export(read_export(export), export.name)
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
