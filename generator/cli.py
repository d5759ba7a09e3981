"""The `guidesmith` command: parsing and error mapping only; the work is in the pipeline."""

from __future__ import annotations

import logging
import os
import sys
from contextlib import nullcontext
from pathlib import Path

import click
from mkdocs.config import load_config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import Abort, ConfigurationError, MkDocsException
from rich.console import Console

from generator import __version__
from generator.capture.run import (
    DEFAULT_THRESHOLD,
    CaptureError,
    CaptureOptions,
    capture,
    terminal_progress,
)
from generator.checks import marker_problems
from generator.errors import GuideError, GuideErrors
from generator.explain import ExplainError, explain
from generator.export import ExportError, export_markdown
from generator.fetch import Fetcher
from generator.fsutil import atomic_write, cache_dir
from generator.importer import ImportProblem, import_file, run_import
from generator.pipeline import OFFLINE_ENV, PLACEHOLDERS_ENV, Build, BuildOptions
from generator.scaffold import ScaffoldError, init_project, new_guide
from generator.schema import schema_text, write_project_schema
from generator.sitebuild import BuildLocked, build_site

console = Console(stderr=True, highlight=False, soft_wrap=True)


class _ConsoleHandler(logging.Handler):
    """MkDocs' log records as plain lines on stderr ("Warning: " before warnings)."""

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if record.name.startswith("mkdocs.plugins.guidesmith"):
            message = message.removeprefix("guidesmith: ")
        # Our own warnings already say "warning:" after their file:line:col.
        label = logging.WARNING <= record.levelno < logging.ERROR and ": warning: " not in message
        for line in message.splitlines():
            console.print(f"Warning: {line}" if label else line, markup=False)


def _setup_logging(verbose: bool, level: int = logging.WARNING) -> None:
    logger = logging.getLogger("mkdocs")
    logger.handlers = [_ConsoleHandler(logging.DEBUG if verbose else level)]
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
        planned = build_.images.plan(guides, render=False)
        warnings = build_.warnings + build_.images.notes
        warnings += marker_problems(build_.fetcher, planned)
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
    if any(item.result is not None for item in imported):
        # The guides' first line names ../.guidesmith/guide.schema.json: make it exist.
        written_in = output.parent if output is not None else guides_dir
        write_project_schema(written_in.resolve().parent)
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


@main.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the schema to this file instead of printing it.")
def schema(output: Path | None) -> None:
    """Print the guide format's JSON Schema (for editors), or write it to a file."""
    text = schema_text()
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        atomic_write(output, text)
    except OSError as exc:
        raise click.ClickException(f"cannot write {output}: {exc.strerror or exc}") from None
    console.print(f"Wrote {output}")


def _parse_size(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> tuple[int, int] | None:
    if value is None:
        return None
    width, _, height = value.lower().partition("x")
    if not (width.isdigit() and height.isdigit() and int(width) > 0 and int(height) > 0):
        raise click.BadParameter(f"expected WIDTHxHEIGHT in pixels like 2842x1932, got {value!r}")
    return int(width), int(height)


@main.command("explain")
@click.argument("url")
@click.option("--source-size", callback=_parse_size, metavar="WxH",
              help="The source image's size, to resolve a crop that runs to its edges.")
def explain_(url: str, source_size: tuple[int, int] | None) -> None:
    """Say what a cloudimg image URL does: crop, output size, marker and click point."""
    try:
        explanation = explain(url, source_size)
    except ExplainError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(explanation.text(), nl=False)


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--name", help="The site's name. Default: from the folder's name.")
def init(directory: Path, name: str | None) -> None:
    """Start a project in DIRECTORY: mkdocs.yml, an example guide, a publishing workflow."""
    try:
        written = init_project(directory, name)
    except ScaffoldError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(
            f"cannot write into {directory}: {exc.strerror or exc}") from None
    for path in written:
        console.print(f"  {path.relative_to(directory).as_posix()}", markup=False)
    where = "" if directory.resolve() == Path.cwd().resolve() else f"cd {directory} && "
    console.print(f"Created a guidesmith project in {directory}. Next: `{where}make site` "
                  "builds site/, `make serve` previews it.", markup=False)


@main.command()
@click.argument("title")
@click.option("--guides-dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("guides"), show_default=True, help="Where guides are.")
@click.option("--chapter", help="The chapter the guide belongs to.")
@click.option("--order", type=int, help="Its position in the series. Default: after the last.")
def new(title: str, guides_dir: Path, chapter: str | None, order: int | None) -> None:
    """Write a new guide, guides/NN-<slug>.yml, to fill in."""
    try:
        path = new_guide(guides_dir, title, chapter=chapter, order=order)
    except ScaffoldError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(
            f"cannot write into {guides_dir}: {exc.strerror or exc}") from None
    click.echo(path)


@main.command()
@config_option
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="The folder to write (replaced whole on each run).")
@click.option("--for", "target", type=click.Choice(["zensical", "mkdocs"]), default="zensical",
              show_default=True,
              help="The site generator that builds OUT: Zensical resolves the pages' image "
              "links against the Markdown file, MkDocs against the page's URL.")
@click.option("--offline", is_flag=True, help="Use local and cached images only; open no socket.")
@click.option("--placeholders", is_flag=True,
              help="Render a placeholder for each screenshot that cannot be fetched.")
@click.option("--verbose", "-v", is_flag=True, help="Show progress messages.")
def markdown(config_file: Path, out_dir: Path, target: str, offline: bool, placeholders: bool,
             verbose: bool) -> None:
    """Write the guides as plain Markdown pages and images, for builds without the plugin.

    OUT then holds the docs folder as the plugin would hand it to MkDocs: each guide's page
    (X.md) with its step images (X/step-NN.jpg), standalone page and PDF, the handout, and
    the project's other docs files (not the guide YAML files or source screenshots).
    Point `docs_dir` at it and build with Zensical, or with MkDocs without the plugin
    (`--for mkdocs`).
    """
    _setup_logging(verbose)
    config = _load_mkdocs_config(config_file)
    plugin_config = config.plugins["guidesmith"].config
    root = config_file.resolve().parent
    options = BuildOptions(
        offline=plugin_config.offline or offline,
        placeholders=plugin_config.placeholders or placeholders,
        standalone=plugin_config.standalone,
        pdf=plugin_config.pdf,
        paper=plugin_config.paper,
        workers=plugin_config.workers,
    )
    try:
        result = export_markdown(config, out_dir, options,
                                 cache_root=root / plugin_config.cache_dir,
                                 handout=plugin_config.handout,
                                 source_relative=target == "zensical")
    except ExportError as exc:
        raise click.ClickException(str(exc)) from None
    except GuideErrors as exc:
        _print_problems(exc.errors)
        raise click.ClickException(
            f"{len(exc.errors)} problem(s); {out_dir} was left as it was") from None
    _print_problems(result.warnings)
    console.print(f"Wrote {out_dir}: {result.guides} guide page(s), {result.images} image(s), "
                  f"{result.companions} standalone page(s)/PDF(s), {result.other_files} other "
                  "file(s).", markup=False)


@main.command()
@config_option
@click.option("--dev-addr", "-a", default="127.0.0.1:8000", show_default=True,
              metavar="IP:PORT", help="Where to serve the preview.")
@click.option("--open", "open_browser", is_flag=True, help="Open the preview in a browser.")
@click.option("--offline", is_flag=True, help="Use local and cached images only; open no socket.")
@click.option("--placeholders", is_flag=True,
              help="Render a placeholder for each screenshot that cannot be fetched.")
@click.option("--verbose", "-v", is_flag=True, help="Show MkDocs' debug messages.")
def serve(config_file: Path, dev_addr: str, open_browser: bool, offline: bool,
          placeholders: bool, verbose: bool) -> None:
    """Preview the site, rebuilt and reloaded in the browser as guides and screenshots change.

    A guide with errors keeps its last good version on its page, the errors shown above it.
    """
    _setup_logging(verbose, logging.INFO)
    _load_mkdocs_config(config_file)  # the same checks and messages as `build`
    # MkDocs reloads the config on each rebuild: the plugin reads these switches itself.
    if offline:
        os.environ[OFFLINE_ENV] = "1"
    if placeholders:
        os.environ[PLACEHOLDERS_ENV] = "1"
    try:
        from mkdocs.commands.serve import serve as mkdocs_serve  # only `serve` needs it

        mkdocs_serve(config_file=str(config_file), dev_addr=dev_addr,
                     open_in_browser=open_browser)
    except (ConfigurationError, Abort, MkDocsException) as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:  # e.g. the address is in use
        raise click.ClickException(f"cannot serve on {dev_addr}: {exc.strerror or exc}") from None


def _http_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not value.startswith(("http://", "https://")):
        raise click.BadParameter(f"expected an http(s) URL, got {value!r}")
    return value


@main.command("capture")
@config_option
@click.argument("guides", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--check", is_flag=True,
              help="Compare with the committed screenshots instead of writing them; exit 1 "
              "when a step changed.")
@click.option("--browser", type=click.Path(dir_okay=False, path_type=Path),
              help="The Chromium to drive. Default: Playwright's own, else the system's.")
@click.option("--url", callback=_http_url,
              help="Open this address instead of each guide's capture url (a staging server).")
@click.option("--threshold", type=click.FloatRange(0, 100), default=DEFAULT_THRESHOLD,
              show_default=True, help="--check: the percentage of a screenshot's pixels that "
              "may change before the step counts as changed.")
@click.option("--format", "fmt", type=click.Choice(["text", "github"]), default="text",
              show_default=True, help="github: GitHub Actions annotations.")
def capture_(config_file: Path, guides: tuple[Path, ...], check: bool, browser: Path | None,
             url: str | None, threshold: float, fmt: str) -> None:
    """Take the screenshots of the guides' captured steps from the live product.

    GUIDES: guide files (default: every guide with steps that say `capture:`). Screenshots
    and their geometry go to guides/assets/<slug>/; only those whose pixels changed are
    written, and nothing is when a step fails.
    """
    root = config_file.resolve().parent
    # Named guides need no MkDocs configuration (half a second to load): only a search does.
    docs_dir = None if guides else Path(_load_mkdocs_config(config_file).docs_dir)
    options = CaptureOptions(check=check, browser=browser, url=url, threshold=threshold,
                             diff_dir=cache_dir(root) / "capture-check")
    try:
        with terminal_progress(console) as progress:
            report = capture(list(guides), root, docs_dir, options, progress=progress)
    except CaptureError as exc:
        raise click.ClickException(str(exc)) from None
    except GuideErrors as exc:
        _print_problems(exc.errors, fmt)
        sys.exit(1)
    _print_problems(report.problems + report.changed, fmt)
    if check:
        console.print(f"Checked {report.guides} guide(s), {report.steps} step(s): "
                      f"{len(report.changed)} changed.", markup=False)
    else:
        shots = sum(1 for path in report.written if path.suffix == ".png")
        removed = f", {len(report.removed)} removed" if report.removed else ""
        console.print(f"Captured {report.guides} guide(s), {report.steps} step(s): {shots} "
                      f"screenshot(s) written, {report.unchanged} unchanged{removed}.",
                      markup=False)
    if report.problems or report.changed:
        sys.exit(1)
