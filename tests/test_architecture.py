"""The house's shape: imports point one way, in layers, with no circle; workers stay light."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from generator import workers

PACKAGE = Path(__file__).resolve().parents[1] / "generator"
# From the bottom up. A module may import its own layer and those below, never above.
LAYERS: list[set[str]] = [
    {"errors", "fsutil", "cloudimg", "markup", "frozen", "theme", "capture", "progress"},
    {"model", "cache", "yamlsource", "views", "printimages", "render.dates", "capture.browser"},
    {"loader", "annotate", "transform", "markers", "sources", "fetch", "workers",
     "yamlwriter", "schema", "importer.scribe", "capture.record"},
    {"hints", "imagejobs", "render.environment", "render.pdfpages", "summary", "yamledit",
     "importer.series", "fontcheck", "provenance", "capture.compare"},
    {"images", "present", "render.markdown", "render.html", "render.pdf", "render.handout",
     "render.jobs", "download", "render.palette"},
    {"companions"},
    {"pipeline", "explain", "importer", "importer.run", "scaffold"},
    {"mkdocsconfig", "export", "sitebuild", "zensical", "capture.run"},
    {"plugin", "cli", "launch"},
]
LAYER = {name: level for level, names in enumerate(LAYERS) for name in names}


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        found[name.removesuffix(".__init__")] = path
    return {name: path for name, path in found.items() if name not in ("__init__", "render")}


def imports_of(path: Path) -> set[str]:
    """The modules of ours a file imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("generator"):
            base = node.module.removeprefix("generator").lstrip(".")
            names = [f"{base}.{a.name}".lstrip(".") for a in node.names]
            found |= {n for n in names if n in LAYER} or ({base} if base else set())
        elif isinstance(node, ast.Import):
            found |= {a.name.removeprefix("generator.") for a in node.names
                      if a.name.startswith("generator.")}
    return {name for name in found if name}


def test_every_module_has_a_layer() -> None:
    assert set(modules()) == set(LAYER)


def test_no_module_imports_one_above_it() -> None:
    upward = [
        f"{name} (layer {LAYER[name]}) imports {used} (layer {LAYER[used]})"
        for name, path in modules().items()
        for used in sorted(imports_of(path))
        if used in LAYER and LAYER[used] > LAYER[name]
    ]
    assert upward == []


def test_there_is_no_import_circle() -> None:
    graph = {name: imports_of(path) & set(LAYER) for name, path in modules().items()}
    circles = []

    def visit(name: str, trail: list[str]) -> None:
        for used in graph[name]:
            if used in trail:
                circles.append([*trail[trail.index(used):], used])
            elif used not in seen:
                seen.add(used)
                visit(used, [*trail, used])

    for start in graph:
        seen = {start}
        visit(start, [start])
    assert circles == []


@pytest.mark.parametrize("preload", sorted({*workers.RENDERERS, *workers.PDF_RENDERERS}))
def test_the_forkserver_preloads_modules_that_exist(preload: str) -> None:
    assert importlib.import_module(preload).__name__ == preload


def test_page_and_pdf_workers_import_neither_pydantic_nor_the_image_pipeline() -> None:
    code = (
        f"import sys; import {', '.join(workers.PDF_RENDERERS)}; "
        "print(sorted(m for m in ('pydantic', 'generator.model', 'generator.images',"
        " 'generator.imagejobs', 'generator.loader') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
