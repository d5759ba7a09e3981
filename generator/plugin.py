"""The MkDocs plugin `guidesmith`: config and event handlers over the pipeline, no logic.

Build order leaned on: on_config (load guides, derive the nav, fetch sources, start the
image jobs and the standalone pages and PDFs that wait for them) -> on_files (add the
generated pages, and the images and companions as files MkDocs leaves to us) -> MkDocs
renders the pages while the workers render -> on_post_build (wait for the workers, link
their files into the site). A failure there fails the build before the site is swapped in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from jinja2 import FileSystemBytecodeCache
from mkdocs.config import config_options as c
from mkdocs.config.base import Config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, get_plugin_logger
from mkdocs.structure.files import File, Files, InclusionLevel

from generator.errors import GuideError, GuideErrors, display_path
from generator.fsutil import publish
from generator.loader import LoadedGuide, load_guide, slug_of
from generator.outputs import Companion, Scheduled, plan_companions, schedule
from generator.pipeline import (
    GUIDE_SUFFIXES,
    OFFLINE_ENV,
    PLACEHOLDERS_ENV,
    Build,
    BuildOptions,
    env_flag,
    find_guides,
    series_key,
    series_nav,
)
from generator.render.markdown import problems_page, with_problems
from generator.render.palette import PALETTE_CSS, render_palette
from generator.theme import DEFAULT_THEME, Theme, theme_from_material
from generator.workers import cores, warm_up

log = get_plugin_logger("guidesmith")
SOURCE_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp")


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
        self.companions: list[Companion] = []
        self.scheduled = Scheduled([])
        self.made: list[MadeFile] = []  # what on_post_build links into the site
        self.is_serve = False
        # Under `serve` only: each guide's last version that loaded, kept across rebuilds,
        # and this rebuild's errors by slug, shown on the guides' pages.
        self.last_good: dict[str, LoadedGuide] = {}
        self.broken: dict[str, tuple[str, list[GuideError]]] = {}
        self.theme: Theme = DEFAULT_THEME  # the site's colours and language, from mkdocs.yml

    def on_startup(self, *, command: Literal["build", "gh-deploy", "serve"], dirty: bool) -> None:
        self.is_serve = command == "serve"

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        root = Path(config.config_file_path or ".").resolve().parent
        options = BuildOptions(
            offline=self.config.offline or env_flag(OFFLINE_ENV),
            placeholders=self.config.placeholders or env_flag(PLACEHOLDERS_ENV),
            standalone=self.config.standalone,
            pdf=self.config.pdf,
            paper=self.config.paper,
            workers=self.config.workers,
        )
        if self.build is None or self.build.options != options:
            self.close()
            self.build = Build(root, Path(config.docs_dir), root / self.config.cache_dir, options)
        if cores() > 1:  # with one core, importing ahead would only compete
            warm_up(pdf=options.pdf)
        build = self.build
        guides = self._load_for_serve() if self.is_serve else _report(build.load)
        planned = _report(build.plan_images)
        self.theme = theme_from_material(config.theme.get("palette"), config.theme.get("language"))
        self.companions = plan_companions(
            build, config.site_name, config.site_url, handout=self.config.handout,
            theme=self.theme,
        )
        self.scheduled = schedule(self.companions, planned, build.workers)
        if config.nav is None:
            pages = sorted(
                p.name for p in Path(config.docs_dir).iterdir() if p.suffix == ".md" and p.is_file()
            )
            config.nav = series_nav(guides, pages)
            shown = {loaded.slug for loaded in guides}
            config.nav += [{f"{slug} (errors)": f"{slug}.md"}
                           for slug in self.broken if slug not in shown]
        return config

    def _load_for_serve(self) -> list[LoadedGuide]:
        """Every guide; one with errors is its last good version, its errors kept for its page.

        A mistake made while editing must not stop the preview: the page says what is wrong
        and still shows the guide as it was. `build` never comes here: it fails on errors.
        """
        assert self.build is not None
        self.broken = {}
        try:
            guides = self.build.load()
        except GuideErrors:
            guides = self._load_each()
        self.last_good.update({loaded.slug: loaded for loaded in guides})
        return guides

    def _load_each(self) -> list[LoadedGuide]:
        assert self.build is not None
        guides: list[LoadedGuide] = []
        for path in find_guides(self.build.docs_dir):
            try:
                guides.append(load_guide(path, self.build.root, self.build.parsed_cache))
            except GuideErrors as exc:
                slug = slug_of(path)
                self.broken[slug] = (display_path(path, self.build.root), exc.errors)
                for error in exc.errors:
                    log.error(error.text())
                if slug in self.last_good:
                    guides.append(self.last_good[slug])
        guides.sort(key=series_key)
        self.build.guides = guides
        self.build.warnings = [w for loaded in guides for w in loaded.warnings]
        return guides

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        assert self.build is not None
        # Source screenshots stay private: everything under assets/, and any other file of
        # the docs folder that a guide uses as a screenshot or marker.
        used = {path.resolve() for path in self.build.local_sources()}
        for file in files:
            if _unpublished(file, used):
                file.inclusion = InclusionLevel.EXCLUDED
        log_warnings(self.build.warnings)
        self.made = [
            MadeFile.generated(config, companion.uri, abs_src_path=str(companion.path))
            for companion in self.companions
        ]
        planned = self.build.planned
        for guide_images in planned:
            slug = guide_images.loaded.slug
            markdown = self.build.page_markdown(guide_images, config.use_directory_urls)
            if slug in self.broken:
                path, errors = self.broken[slug]
                markdown = with_problems(markdown, path, [e.text() for e in errors])
            files.append(File.generated(config, f"{slug}.md", content=markdown))
            self.made += [
                MadeFile.generated(config, f"{slug}/{image.filename}", abs_src_path=str(image.path))
                for image in guide_images.images.values()
            ]
        shown = {guide_images.loaded.slug for guide_images in planned}
        for slug, (path, errors) in self.broken.items():
            if slug not in shown:  # broken since `serve` started: its errors alone
                markdown = problems_page(slug, path, [e.text() for e in errors])
                files.append(File.generated(config, f"{slug}.md", content=markdown))
        for file in self.made:
            files.append(file)
        files.append(File.generated(config, PALETTE_CSS, content=render_palette(self.theme)))
        return files

    def on_env(self, env: Any, *, config: MkDocsConfig, files: Files) -> Any:
        assert self.build is not None
        # Material's templates compiled once, not on every build (Jinja checks their source).
        env.bytecode_cache = FileSystemBytecodeCache(
            str(_made_dir(self.build.cache_root / "templates"))
        )
        return env

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        assert self.build is not None
        log_warnings(_report(self.build.wait_images))
        rendered = self.build.images.rendered
        made = _report(self.scheduled.wait)
        for file in self.made:
            if file.inclusion.is_included():
                publish(Path(file.abs_src_path or ""), Path(file.abs_dest_path))
        log.info(f"{rendered} step image(s) and {made} page(s)/PDF(s) made, the rest cached")

    def on_shutdown(self) -> None:
        self.close()

    def on_build_error(self, *, error: Exception) -> None:
        if not self.is_serve:
            self.close()

    def close(self) -> None:
        if self.build is not None:
            self.build.close()
            self.build = None


class MadeFile(File):
    """A file the workers make (a step image, a standalone page, a PDF): MkDocs leaves it
    alone, and on_post_build links it into the site once it is made."""

    def copy_file(self, dirty: bool = False) -> None:
        return None


def _made_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _unpublished(file: File, used: set[Path]) -> bool:
    """Guide files and source screenshots: inputs, never part of the site."""
    if file.src_uri.endswith(GUIDE_SUFFIXES) and "/" not in file.src_uri:
        return True
    if file.src_uri.startswith("assets/") and file.src_uri.lower().endswith(
        SOURCE_IMAGE_SUFFIXES
    ):
        return True
    return bool(file.abs_src_path) and Path(file.abs_src_path).resolve() in used


def _report(step: Any) -> Any:
    """Run a pipeline step; log its warnings; turn its problems into one PluginError."""
    try:
        result = step()
    except GuideErrors as exc:
        raise PluginError("\n".join(e.text() for e in exc.errors)) from None
    return result


def log_warnings(warnings: list[GuideError]) -> None:
    for warning in warnings:
        log.warning(warning.text())
