"""The Zensical engine: `guidesmith build --engine zensical`.

Zensical reads mkdocs.yml but runs no MkDocs plugin, and advises generating content before
its build. So the engine does exactly that: the project is exported as plain docs files
(export.py, a loop over the same Build as the plugin), then Zensical builds them with a
config that inherits mkdocs.yml and only points it at the export (and, when mkdocs.yml has
no `nav`, gives it the series navigation the plugin would). The output contract is the
plugin's: site/X/index.html, its step images, X.html, X.pdf and handout.pdf.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import yaml
from mkdocs.config.defaults import MkDocsConfig

from generator.errors import GuideErrors
from generator.export import export_markdown
from generator.fsutil import atomic_write, inside
from generator.mkdocsconfig import options_of, project_of
from generator.pipeline import BuildResult
from generator.progress import QUIET, Meter

# Zensical wants its config beside the project (paths are relative to its folder): this
# one lives for one build, under the project's lock.
CONFIG_NAME = ".guidesmith-zensical.yml"
TIMEOUT_SECONDS = 600


class ZensicalProblem(Exception):
    """Zensical is missing, or failed; the message says what it printed."""


def build_with_zensical(config: MkDocsConfig, site_dir: Path, *, strict: bool = False,
                        meter: Meter = QUIET) -> BuildResult:
    """Export the project and have Zensical build it into `site_dir`."""
    if importlib.util.find_spec("zensical") is None:
        raise ZensicalProblem(
            "Zensical is not installed: `pip install zensical`, or build with MkDocs "
            "(leave out --engine)")
    project = project_of(config)
    docs = project.cache_root / "zensical" / "docs"
    if not inside(docs, project.root) or not inside(site_dir, project.root):
        raise ZensicalProblem(
            "Zensical builds only inside the project: keep the plugin's cache_dir and site_dir "
            f"under {project.root}")
    exported = export_markdown(config, project, options_of(config), docs, source_relative=True,
                               meter=meter)
    if strict and exported.built.warnings:  # as MkDocs does: nothing is published
        raise GuideErrors(exported.built.warnings)
    settings: dict[str, object] = {
        "INHERIT": Path(config.config_file_path).name,
        "docs_dir": docs.relative_to(project.root).as_posix(),
        "site_dir": site_dir.resolve().relative_to(project.root.resolve()).as_posix(),
    }
    if config.nav is None:
        settings["nav"] = exported.nav
    generated = project.root / CONFIG_NAME
    atomic_write(generated, "# Written by `guidesmith build --engine zensical` for one build."
                 "\n" + yaml.safe_dump(settings, allow_unicode=True, sort_keys=False))
    try:
        command = [sys.executable, "-m", "zensical", "build", "--config-file", CONFIG_NAME]
        done = subprocess.run(
            [*command, *(["--strict"] if strict else [])], cwd=project.root,
            capture_output=True, text=True, timeout=TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        raise ZensicalProblem(f"Zensical did not finish in {TIMEOUT_SECONDS} s") from None
    finally:
        generated.unlink(missing_ok=True)
    if done.returncode != 0 or not (site_dir / "index.html").is_file():
        said = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
        raise ZensicalProblem("Zensical failed: " + (" / ".join(said[-5:]) or "no output"))
    return exported.built
