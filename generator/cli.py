"""The `guidesmith` command: parsing and error mapping only; the work is in the pipeline."""

from __future__ import annotations

import logging
import sys
from contextlib import nullcontext
from pathlib import Path

import click
from mkdocs.config import load_config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import Abort, ConfigurationError, MkDocsException
from rich.console import Console

from generator import __version__
from generator.errors import GuideError, GuideErrors
from generator.fetch import Fetcher
from generator.fsutil import cache_dir
from generator.importer import ImportProblem, import_file, run_import
from generator.pipeline import Build, BuildOptions
from generator.sitebuild import BuildLocked, build_site

console = Console(stderr=True, highlight=False, soft_wrap=True)


class _ConsoleHandler(logging.Handler):
    """MkDocs' log records as plain lines on stderr (warnings and errors only)."""

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if record.name.startswith("mkdocs.plugins.guidesmith"):
            message = message.removeprefix("guidesmith: ")
        level = "Error" if record.levelno >= logging.ERROR else "Warning"
        for line in message.splitlines():
            console.print(f"[bold]{level}:[/bold] {line}" if level == "Warning" else line,
                          markup=level == "Warning")


def _setup_logging(verbose: bool) -> None:
    logger = logging.getLogger("mkdocs")
    logger.handlers = [_ConsoleHandler(logging.DEBUG if verbose else logging.WARNING)]
    logger.setLevel(logging.DEBUG if verbose else logging.INFO)
    logger.propagate = False


def _print_problems(errors: list[GuideError], fmt: str = "text") -> None:
    for error in errors:
        click.echo(error.github() if fmt == "github" else error.text(), err=fmt != "github")


def _load_mkdocs_config(config_file: Path) -> MkDocsConfig:
    if not config_file.is_file():
        raise click.ClickException(
            f"{config_file} not found: run guidesmith where mkdocs.yml is, or pass --config-file"
        )
    try:
        config = load_config(str(config_file))
    except (ConfigurationError, Abort, MkDocsException) as exc:
        raise click.ClickException(f"{config_file}: {exc}") from None
    if "guidesmith" not in config.plugins:
        raise click.ClickException(
            f"{config_file} does not enable the plugin: add `- guidesmith` under `plugins:`"
        )
    return config


config_option = click.option(
    "--config-file", "-f", type=click.Path(path_type=Path), default=Path("mkdocs.yml"),
    show_default=True, help="The project's MkDocs configuration.",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="guidesmith")
def main() -> None:
    """Step-by-step guides as YAML: a site, standalone pages and PDF handouts."""


@main.command()
@config_option
@click.option("--offline", is_flag=True, help="Use local and cached images only; open no socket.")
@click.option("--clean", is_flag=True, help="Start cold: remove site/ and .cache/guidesmith first.")
@click.option("--placeholders", is_flag=True,
              help="Render a placeholder for each screenshot that cannot be fetched.")
@click.option("--strict", is_flag=True, help="Fail on warnings, as `mkdocs build --strict`.")
@click.option("--verbose", "-v", is_flag=True, help="Show MkDocs' progress messages.")
def build(config_file: Path, offline: bool, clean: bool, placeholders: bool, strict: bool,
          verbose: bool) -> None:
    """Build site/: pages, step images, standalone HTML pages and PDFs."""
    _setup_logging(verbose)
    config = _load_mkdocs_config(config_file)
    plugin_config = config.plugins["guidesmith"].config
    plugin_config.offline = plugin_config.offline or offline
    plugin_config.placeholders = plugin_config.placeholders or placeholders
    config.strict = config.strict or strict
    try:
        status = console.status("Building the site…") if console.is_terminal else nullcontext()
        with status:
            result = build_site(config, clean=clean)
    except BuildLocked as exc:
        raise click.ClickException(str(exc)) from None
    except Abort as exc:
        raise click.ClickException(f"{exc}; {config.site_dir} was left as it was") from None
    console.print(f"Built {result.site_dir} in {result.seconds:.1f} s: "
                  f"{result.guides} guide(s), {result.rendered} image(s) rendered.")


@main.command()
@config_option
@click.option("--offline", is_flag=True, help="Use local and cached images only.")
@click.option("--format", "fmt", type=click.Choice(["text", "github"]), default="text",
              show_default=True, help="github: GitHub Actions annotations.")
def check(config_file: Path, offline: bool, fmt: str) -> None:
    """Validate every guide and its images without writing any output."""
    config = _load_mkdocs_config(config_file)
    root = config_file.resolve().parent
    options = BuildOptions(offline=offline or config.plugins["guidesmith"].config.offline)
    build_ = Build(root, Path(config.docs_dir), cache_dir(root), options)
    try:
        guides = build_.load()
        build_.images.plan(guides, render=False)
        warnings = build_.warnings + build_.images.notes
    except GuideErrors as exc:
        _print_problems(exc.errors, fmt)
        sys.exit(1)
    finally:
        build_.close()
    _print_problems(warnings, fmt)
    if fmt == "text":
        steps = sum(len(g.guide.numbered_steps()) for g in guides)
        console.print(f"{len(guides)} guide(s), {steps} step(s): no errors.")


@main.command("import")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="The guide file to write (one export only). Default: guides/<slug>.yml.")
@click.option("--guides-dir", type=click.Path(path_type=Path), default=Path("guides"),
              show_default=True, help="Where guides are written.")
@click.option("--download", is_flag=True,
              help="Fetch every screenshot and marker into guides/assets/<slug>/.")
@click.option("--force", is_flag=True, help="Overwrite existing guide files.")
def import_(source: Path, output: Path | None, guides_dir: Path, download: bool,
            force: bool) -> None:
    """Import a Scribe Markdown export, or a folder of them, as guides."""
    if output is not None and source.is_dir():
        raise click.UsageError("--output names one guide file; SOURCE is a folder")
    root = Path.cwd()
    fetcher = Fetcher(cache_dir(root), root) if download else None
    try:
        if output is not None:
            fetch = (lambda url: fetcher.read(url, output.parent)) if fetcher else None
            imported = [import_file(source, output, force, fetch=fetch)]
        else:
            fetch = (lambda url: fetcher.read(url, guides_dir)) if fetcher else None
            imported = run_import(source, guides_dir, force=force, fetch=fetch)
    except ImportProblem as exc:
        raise click.ClickException(exc.message) from None
    finally:
        if fetcher is not None:
            fetcher.close()
    failed = False
    for item in imported:
        if item.result is None:
            console.print(f"Skipped {item.export.name}: {item.note}")
            continue
        steps = len(item.result.guide.numbered_steps())
        console.print(f"Imported {item.export.name} -> {item.path} ({steps} steps)")
        for warning in item.result.warnings:
            console.print(f"  Warning: {warning}", markup=False)
        for failure in item.failures:
            console.print(f"  Download failed: {failure}", markup=False)
            failed = True
    if failed:
        raise click.ClickException("some images could not be downloaded; their URLs were kept")
