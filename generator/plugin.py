"""The MkDocs plugin `guidesmith`: its options, and MkDocs' events as a loop over Build.

MkDocs' build order carries the work: on_config starts the Build (guides loaded, images and
companions planned and started in the workers) and gives MkDocs the series navigation ->
on_files adds the guides' pages and the files being made, and keeps the guides' inputs out
of the site -> MkDocs renders the pages while the workers render -> on_post_build waits for
the build to finish and links its files into the site. Works the same under ProperDocs.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Literal

from jinja2 import FileSystemBytecodeCache
from mkdocs.config import config_options as c
from mkdocs.config.base import Config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, get_plugin_logger
from mkdocs.structure.files import File, Files, InclusionLevel

from generator.errors import GuideError, GuideErrors
from generator.fsutil import publish
from generator.mkdocsconfig import options_of, project_of
from generator.pipeline import Build, BuildResult
from generator.progress import QUIET, Meter
from generator.summary import network_hint, summarise
from generator.workers import cores, warm_up

log = get_plugin_logger("guidesmith")


class GuidesmithConfig(Config):
    """Options under `plugins: - guidesmith:` in mkdocs.yml."""

    cache_dir = c.Type(str, default=".cache/guidesmith")
    offline = c.Type(bool, default=False)
    placeholders = c.Type(bool, default=False)
    standalone = c.Type(bool, default=True)
    pdf = c.Type(bool, default=True)
    handout = c.Type(bool, default=True)
    paper = c.Choice(("a4", "letter"), default="a4")
    workers = c.Optional(c.Type(int))


class GuidesmithPlugin(BasePlugin[GuidesmithConfig]):
    """Turns every guides/*.yml into a page, its step images and its companion files."""

    def __init__(self) -> None:
        self.build: Build | None = None
        self.made: list[MadeFile] = []  # what on_post_build links into the site
        self.is_serve = False
        self.result: BuildResult | None = None  # the last finished build's counts
        # The `guidesmith` command prints the network hint as its own last line: it sets
        # hint_in_error to False and reads failure_hint when the build has failed.
        self.hint_in_error = True
        self.failure_hint: str | None = None
        self.meter: Meter = QUIET  # the `guidesmith` command's progress bars, on a terminal

    def on_startup(self, *, command: Literal["build", "gh-deploy", "serve"], dirty: bool) -> None:
        self.is_serve = command == "serve"

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        project, options = project_of(config), options_of(config)
        if self.build is None or (self.build.project, self.build.options) != (project, options):
            self.close()  # under `serve`, one Build (and its workers) lasts across rebuilds
            self.build = Build(project, options, self.meter)
        build = self.build
        if cores() > 1:  # with one core, importing ahead would only compete
            warm_up(pdf=options.pdf)
        plan = _report(lambda: build.start(keep_last_good=self.is_serve), self.hint_in_error)
        for errors in (errors for _, errors in plan.broken.values()):
            for error in errors:
                log.error(error.text())
        log_warnings(list(plan.warnings))
        if config.nav is None:
            docs = Path(config.docs_dir)
            config.nav = build.nav(
                p.name for p in docs.iterdir() if p.suffix == ".md" and p.is_file()
            )
        return config

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        build = self._build()
        for file in files:
            if not build.is_published(file.src_uri, file.abs_src_path):
                file.inclusion = InclusionLevel.EXCLUDED
        for page in build.pages(directory_urls=config.use_directory_urls):
            files.append(File.generated(config, page.uri, content=page.markdown))
        self.made = [
            MadeFile.generated(config, output.uri, abs_src_path=str(output.path))
            for output in build.outputs()
        ]
        for file in self.made:
            files.append(file)
        return files

    def on_page_markdown(self, markdown: str, *, page: Any, config: MkDocsConfig,
                         files: Files) -> str:
        return self._build().fill_page(page.file.src_uri, markdown)

    def on_env(self, env: Any, *, config: MkDocsConfig, files: Files) -> Any:
        # Material's templates compiled once, not on every build (Jinja checks their source).
        templates = self._build().project.cache_root / "templates"
        templates.mkdir(parents=True, exist_ok=True)
        env.bytecode_cache = FileSystemBytecodeCache(str(templates))
        return env

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        result = self.result = _report(self._build().finish, self.hint_in_error)
        for file in self.made:
            if file.inclusion.is_included():
                publish(Path(file.abs_src_path or ""), Path(file.abs_dest_path))
        log.info(result.said())

    def on_serve(self, server: Any, *, config: MkDocsConfig, builder: Any) -> Any:
        """Also rebuild when the theme overrides or a screenshot outside the docs folder
        change: MkDocs watches only the docs folder and mkdocs.yml (the theme's folders
        with --watch-theme, Material's own included)."""
        docs = Path(config.docs_dir).resolve()
        inputs = self.build.inputs() if self.build is not None else set()
        outside = {path for path in inputs if not path.is_relative_to(docs)}
        for path in [config.theme.custom_dir, *sorted(outside)]:
            if path and Path(path).exists():
                server.watch(str(path))
        return server

    def on_shutdown(self) -> None:
        self.close()

    def on_build_error(self, *, error: Exception) -> None:
        self.failure_hint = getattr(error, "hint", None)
        if not self.is_serve:
            self.close()

    def _build(self) -> Build:
        assert self.build is not None, "on_config starts the build"
        return self.build

    def close(self) -> None:
        if self.build is not None:
            self.build.close()
            self.build = None


class MadeFile(File):
    """A file the workers make (a step image, a standalone page, a PDF): MkDocs leaves it
    alone, and on_post_build links it into the site once it is made."""

    def copy_file(self, dirty: bool = False) -> None:
        return None


class GuideProblems(PluginError):
    """A build's problems as one error: a line per problem, or per cause when many images
    failed alike; and, when the network is why, a last line that says what to do (the
    `guidesmith` command says it after its own last line instead: `with_hint=False`)."""

    def __init__(self, errors: list[GuideError], with_hint: bool = True) -> None:
        self.errors = errors
        self.hint = network_hint(errors)
        lines = [item.text() for item in summarise(errors, _verbose())]
        if with_hint and self.hint:
            lines.append(self.hint)
        super().__init__("\n".join(lines))


def _report(step: Any, with_hint: bool = True) -> Any:
    """Run a build step; turn its problems into one PluginError (a line each, or a cause)."""
    try:
        return step()
    except GuideErrors as exc:
        raise GuideProblems(exc.errors, with_hint) from None


def _verbose() -> bool:
    """`--verbose` (guidesmith or mkdocs) lists every problem, not one line per cause."""
    return log.isEnabledFor(logging.DEBUG)


def log_warnings(warnings: list[GuideError]) -> None:
    for warning in summarise(warnings, _verbose()):
        log.warning(warning.text())
