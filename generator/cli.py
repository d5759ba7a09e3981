"""The `guidesmith` command: parsing and error mapping only; the work is in the pipeline."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import click
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import Abort, ConfigurationError, MkDocsException
from rich.console import Console

from generator import __version__
from generator.capture import DEFAULT_THRESHOLD
from generator.errors import GuideError, GuideErrors, display_path
from generator.export import ExportError, export_markdown
from generator.fetch import Fetcher, FetchSettings
from generator.fsutil import atomic_write, cache_dir
from generator.mkdocsconfig import ConfigProblem, load_mkdocs_config, options_of, project_of
from generator.pipeline import OFFLINE_ENV, PLACEHOLDERS_ENV, Build, find_guides
from generator.progress import terminal_meter
from generator.schema import schema_text, write_project_schema
from generator.sitebuild import BuildLocked, build_site
from generator.summary import Summary, network_hint, summarise
from generator.zensical import ZensicalProblem, build_with_zensical

if TYPE_CHECKING:
    from generator.download import Downloaded

# `import`, `init`, `new`, `download`, `explain` and `capture` import their modules when they
# run: every build and check would otherwise pay for them (about 0.1 s, a tenth of a
# rebuild that changes nothing).

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
    """MkDocs' messages at `level` (all with `verbose`), whatever an earlier command in this
    process (a test, a script calling `main`) set."""
    logger = logging.getLogger("mkdocs")
    logger.handlers = [_ConsoleHandler(logging.DEBUG if verbose else level)]
    logger.setLevel(logging.DEBUG if verbose else logging.INFO)
    logger.propagate = False


def _print_problems(errors: Sequence[GuideError | Summary], fmt: str = "text") -> None:
    for error in errors:
        click.echo(error.github() if fmt == "github" else error.text(), err=fmt != "github")


def _errors_in(problems: GuideErrors) -> int:
    """How many of the problems are errors (warnings travel with them, said as well)."""
    return sum(1 for problem in problems.errors if problem.severity == "error")


def _load_mkdocs_config(config_file: Path) -> MkDocsConfig:
    try:
        return load_mkdocs_config(config_file)
    except ConfigProblem as exc:
        raise click.ClickException(str(exc)) from None


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
@click.option("--engine", type=click.Choice(["mkdocs", "zensical"]), default="mkdocs",
              show_default=True,
              help="The site generator: MkDocs (or ProperDocs) with the plugin, or Zensical.")
@click.option("--verbose", "-v", is_flag=True, help="Show MkDocs' progress messages.")
def build(config_file: Path, offline: bool, clean: bool, placeholders: bool, strict: bool,
          engine: str, verbose: bool) -> None:
    """Build site/: pages, step images, standalone HTML pages and PDFs."""
    _setup_logging(verbose)
    config = _load_mkdocs_config(config_file)
    plugin_config = config.plugins["guidesmith"].config
    plugin_config.offline = plugin_config.offline or offline
    plugin_config.placeholders = plugin_config.placeholders or placeholders
    config.strict = config.strict or strict
    plugin = config.plugins["guidesmith"]
    plugin.hint_in_error = False  # said below, as the last line
    left = f"{config.site_dir} was left as it was"
    try:
        with terminal_meter(console) as meter:
            plugin.meter = meter
            run = (partial(build_with_zensical, strict=config.strict, meter=meter)
                   if engine == "zensical" else None)
            result = build_site(config, clean=clean, engine=run)
    except BuildLocked as exc:
        raise click.ClickException(str(exc)) from None
    except GuideErrors as exc:  # from the Zensical engine's export
        _print_problems(summarise(exc.errors, verbose))
        hint = network_hint(exc.errors)
        raise click.ClickException(f"{_errors_in(exc)} error(s); {left}"
                                   + (f"\n{hint}" if hint else "")) from None
    except Abort:  # MkDocs has logged why (our lines, or its own), then says "Aborted..."
        hint = f"\n{plugin.failure_hint}" if plugin.failure_hint else ""
        raise click.ClickException(f"the build failed (see above); {left}{hint}") from None
    except (ZensicalProblem, ExportError) as exc:
        raise click.ClickException(f"{exc}; {left}") from None
    _print_problems(summarise(result.warnings, verbose))
    console.print(f"Built {result.site_dir} in {result.seconds:.1f} s: "
                  f"{result.guides} guide(s), {result.rendered} image(s) rendered.")


@main.command()
@config_option
@click.option("--offline", is_flag=True, help="Use local and cached images only.")
@click.option("--placeholders", is_flag=True,
              help="A screenshot that cannot be fetched is a warning, not an error.")
@click.option("--format", "fmt", type=click.Choice(["text", "github"]), default="text",
              show_default=True, help="github: GitHub Actions annotations.")
@click.option("--verbose", "-v", is_flag=True,
              help="List every image that could not be fetched, not one line per cause.")
def check(config_file: Path, offline: bool, placeholders: bool, fmt: str, verbose: bool) -> None:
    """Validate every guide and its images without writing any output."""
    _setup_logging(verbose=False)
    config = _load_mkdocs_config(config_file)
    options = options_of(config, offline=offline, placeholders=placeholders)
    with terminal_meter(console) as meter:
        build_ = Build(project_of(config), options, meter)
        try:
            plan = build_.start(render=False)
            warnings = build_.finish().warnings
        except GuideErrors as exc:
            problems = exc.errors
        else:
            problems = []
        finally:
            build_.close()
    if problems:
        _print_problems(summarise(problems, verbose), fmt)
        if hint := network_hint(problems, "guidesmith check"):
            console.print(hint, markup=False)
        sys.exit(1)
    _print_problems(summarise(warnings, verbose), fmt)
    if fmt == "text":
        steps = sum(len(loaded.guide.numbered_steps()) for loaded in plan.guides)
        console.print(f"{len(plan.guides)} guide(s), {steps} step(s): no errors.")


@main.command("import")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="The guide file to write (one export only). Default: guides/<slug>.yml.")
@click.option("--guides-dir", type=click.Path(path_type=Path),
              help="Where guides are written. Default: guides/ of the project.")
@click.option("--init", "init_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Make a new project in this folder first (as `guidesmith init`), unless "
              "it is one already, and import into it.")
@click.option("--download", is_flag=True,
              help="Copy every screenshot and marker into guides/assets/<slug>/ "
              "(as `guidesmith download`).")
@click.option("--force", is_flag=True, help="Overwrite existing guide files.")
@click.option("--verbose", "-v", is_flag=True,
              help="List every image that could not be downloaded, not one line per cause.")
def import_(source: Path, output: Path | None, guides_dir: Path | None, init_dir: Path | None,
            download: bool, force: bool, verbose: bool) -> None:
    """Import a Scribe Markdown export, or a folder of them, as guides."""
    from generator.importer.run import import_file, remove_example, run_import, untouched_example
    from generator.importer.scribe import ImportProblem

    if output is not None and source.is_dir():
        raise click.UsageError("--output names one guide file; SOURCE is a folder")
    root = _import_root(source, init_dir, explicit=output is not None or guides_dir is not None)
    guides_dir = guides_dir if guides_dir is not None else root / "guides"
    example = untouched_example(guides_dir) if output is None else []
    fetcher = Fetcher(cache_dir(root), root) if download else None
    try:
        if output is not None:
            imported = [import_file(source, output, force, fetcher=fetcher, root=root)]
        else:
            imported = run_import(source, guides_dir, force=force, fetcher=fetcher, root=root)
    except ImportProblem as exc:
        raise click.ClickException(exc.message) from None
    finally:
        if fetcher is not None:
            fetcher.close()
    written = [item for item in imported if item.result is not None]
    if written:
        # The guides' first line names ../.guidesmith/guide.schema.json: make it exist.
        written_in = output.parent if output is not None else guides_dir
        write_project_schema(written_in.resolve().parent)
    for item in imported:
        if item.result is None:
            console.print(f"{item.export.name}: {item.note}", markup=False)
            continue
        steps = len(item.result.guide.numbered_steps())
        shown = display_path(item.path, root) if item.path else ""
        console.print(f"Imported {item.export.name} -> {shown} ({steps} steps)", markup=False)
        for warning in item.result.warnings:
            console.print(f"  Warning: {warning}", markup=False)
    if written and example and not any(item.path in example for item in written):
        remove_example(example, guides_dir)
        console.print(f"Removed the example guide {display_path(example[0], root)}: "
                      "it was unchanged since `guidesmith init`, and the imported guides "
                      "take its place.", markup=False)
    if download:
        downloads = [item.downloaded for item in imported if item.downloaded is not None]
        _print_downloads(downloads, [], verbose, root)
    if written:
        where = "" if root.resolve() == Path.cwd().resolve() else f"cd {root} && "
        nxt = (f"Next: `{where}guidesmith build` builds the site" + (
            "." if download else "; its screenshots are on Scribe's servers: "
            "`guidesmith download` copies them into the project once, and "
            "`guidesmith build --offline --placeholders` builds without them."))
        console.print(nxt, markup=False)


def _import_root(source: Path, init_dir: Path | None, explicit: bool) -> Path:
    """The project an import goes into: --init DIR (made first when it is not one yet), or
    the current folder, which must be a project unless the destination is given."""
    if init_dir is not None:
        from generator.scaffold import ScaffoldError, init_project

        if (init_dir / "mkdocs.yml").is_file():
            console.print(f"{init_dir} is a guidesmith project already: importing into it.",
                          markup=False)
            return init_dir
        try:
            init_project(init_dir)
        except (ScaffoldError, OSError) as exc:
            raise click.ClickException(f"cannot make a project in {init_dir}: {exc}") from None
        console.print(f"Created a guidesmith project in {init_dir}.", markup=False)
        return init_dir
    root = Path.cwd()
    if not explicit and not (root / "mkdocs.yml").is_file():
        raise click.ClickException(
            f"{root} is not a guidesmith project (no mkdocs.yml): "
            f"`guidesmith import {source} --init DIR` makes one in DIR and imports into it; "
            "or run this where mkdocs.yml is")
    return root


@main.command()
@config_option
@click.option("--offline", is_flag=True,
              help="Copy only what the download cache has (what a build fetched); open no socket.")
@click.option("--verbose", "-v", is_flag=True,
              help="List every image that could not be downloaded, not one line per cause.")
def download(config_file: Path, offline: bool, verbose: bool) -> None:
    """Copy every remote screenshot and marker into guides/assets/ and point the guides at
    them (keeping each URL as `origin:`), so the project builds without those servers."""
    from generator.download import download_project

    _setup_logging(verbose=False)
    project = project_of(_load_mkdocs_config(config_file))
    with Fetcher(project.cache_root, project.root, FetchSettings(offline=offline)) as fetcher:
        done, broken = download_project(find_guides(project.docs_dir), fetcher, project.root)
    _print_downloads(done, broken, verbose, project.root)


def _print_downloads(
    done: list[Downloaded], broken: list[GuideError], verbose: bool, root: Path
) -> None:
    """What `download` (and `import --download`) did; fails when something was not."""
    for item in done:
        if item.folder is not None and (item.screenshots or item.markers):
            console.print(f"{display_path(item.path, root)}: {item.screenshots} screenshot(s) "
                          f"and {item.markers} marker(s) copied into "
                          f"{display_path(item.folder, root)}/", markup=False)
    failed = [p for item in done for p in item.problems]
    _print_problems(summarise(broken + failed, verbose))
    if broken:
        raise click.ClickException(
            "some guides do not load (see above): fix them, then run `guidesmith download` again")
    if failed:
        raise click.ClickException(
            f"{len(failed)} image(s) could not be downloaded: their steps still point at their "
            "URLs; run `guidesmith download` again when the server answers, or fix the URLs")
    if not any(item.folder for item in done):
        console.print("Nothing to download: every screenshot and marker of the guides is in "
                      "the project.")


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
    from generator.explain import ExplainError, explain

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
    from generator.provenance import ProvenanceError, install_source
    from generator.scaffold import ScaffoldError, init_project

    try:
        source = install_source()
        written = init_project(directory, name, source)
    except ProvenanceError as exc:
        raise click.ClickException(
            f"cannot tell where guidesmith was installed from ({exc}): reinstall it") from None
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
    console.print(f"requirements.txt installs {source.requirement} ({source.described})",
                  markup=False)
    if source.local:
        console.print("That path works on this machine only: before publishing, replace it "
                      "with a release or a Git URL (see README.md).", markup=False)


@main.command()
@click.argument("title")
@click.option("--guides-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where guides are. Default: the docs_dir of the project's mkdocs.yml.")
@click.option("--chapter", help="The chapter the guide belongs to.")
@click.option("--order", type=int, help="Its position in the series. Default: after the last.")
@click.option("--slug", help="The file name after NN- (letters, digits, '-'). "
              "Default: from the title.")
def new(title: str, guides_dir: Path | None, chapter: str | None, order: int | None,
        slug: str | None) -> None:
    """Write a new guide, guides/NN-<slug>.yml, to fill in (inside a project only)."""
    from generator.scaffold import ScaffoldError, guides_dir_of, new_guide

    try:
        if guides_dir is None:
            guides_dir = _shown(guides_dir_of(Path.cwd()))
        else:
            guides_dir_of(guides_dir.resolve().parent)  # refuses outside a project
        path = new_guide(guides_dir, title, chapter=chapter, order=order, slug=slug)
    except ScaffoldError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(
            f"cannot write into {guides_dir}: {exc.strerror or exc}") from None
    click.echo(path)


def _shown(path: Path) -> Path:
    """`path` relative to the current folder when it is inside it, as the author typed it."""
    try:
        return path.relative_to(Path.cwd().resolve())
    except ValueError:
        return path


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
    try:
        with terminal_meter(console) as meter:
            result = export_markdown(
                config, project_of(config),
                options_of(config, offline=offline, placeholders=placeholders), out_dir,
                source_relative=target == "zensical", meter=meter)
    except ExportError as exc:
        raise click.ClickException(str(exc)) from None
    except GuideErrors as exc:
        _print_problems(summarise(exc.errors, verbose))
        hint = network_hint(exc.errors, "guidesmith markdown")
        raise click.ClickException(f"{_errors_in(exc)} error(s); {out_dir} was left as it was"
                                   + (f"\n{hint}" if hint else "")) from None
    _print_problems(summarise(result.built.warnings, verbose))
    console.print(f"Wrote {out_dir}: {result.built.guides} guide page(s), "
                  f"{result.images} image(s), {result.companions} standalone page(s)/PDF(s), "
                  f"{result.other_files} other file(s).", markup=False)


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
    from generator.capture.run import CaptureError, CaptureOptions, capture, terminal_progress

    _setup_logging(verbose=False)
    root = config_file.resolve().parent
    # Named guides need no MkDocs configuration (half a second to load): only a search does.
    docs_dir = None if guides else Path(_load_mkdocs_config(config_file).docs_dir)
    options = CaptureOptions(check=check, browser=browser, url=url, threshold=threshold)
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
