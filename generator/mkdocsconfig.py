"""mkdocs.yml -> what a build needs of it: the project and the build's options.

The plugin gets the config from MkDocs; the commands load it here, with one clear line for
each way it can be wrong. Either way the same two functions read it, so every front end
builds the same project with the same options.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from mkdocs.config import load_config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import Abort, ConfigurationError, MkDocsException

from generator.pipeline import OFFLINE_ENV, PLACEHOLDERS_ENV, BuildOptions, Project, env_flag
from generator.theme import theme_from_material


class ConfigProblem(Exception):
    """mkdocs.yml is missing, invalid, or does not enable the plugin; a line a problem."""


def _below_errors(record: logging.LogRecord) -> bool:
    return record.levelno < logging.ERROR


class _Collected(logging.Handler):
    """The errors MkDocs logs while it loads a config."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines += record.getMessage().splitlines()


def load_mkdocs_config(config_file: Path, **overrides: Any) -> MkDocsConfig:
    """The project's MkDocs configuration, with the guidesmith plugin enabled in it."""
    if not config_file.is_file():
        raise ConfigProblem(
            f"{config_file} not found: run guidesmith where mkdocs.yml is, or pass --config-file"
        )
    said = _Collected()
    logger = logging.getLogger("mkdocs")
    # Its errors are said once, as ours, below; its other messages as usual.
    kept, logger.handlers = logger.handlers, [said, *logger.handlers]
    for handler in kept:
        handler.addFilter(_below_errors)
    try:
        config = load_config(str(config_file), **overrides)
    except (ConfigurationError, Abort, MkDocsException) as exc:
        # MkDocs logs each problem, then aborts with a sentence of its own: say the problems.
        problems = said.lines or [str(exc)]
        raise ConfigProblem("\n".join(
            f"{config_file}: {line.removeprefix('Config value ')}; fix it in {config_file.name}"
            for line in problems)) from None
    finally:
        logger.handlers = kept
        for handler in kept:
            handler.removeFilter(_below_errors)
    if "guidesmith" not in config.plugins:
        raise ConfigProblem(
            f"{config_file} does not enable the plugin: add `- guidesmith` under `plugins:`"
        )
    return config


def plugin_options(config: MkDocsConfig) -> Any:
    """The `guidesmith` plugin's options (its `config`), as MkDocs validated them."""
    return config.plugins["guidesmith"].config


def project_of(config: MkDocsConfig) -> Project:
    """Where the project's guides and cache are, and the site they belong to."""
    root = Path(config.config_file_path or ".").resolve().parent
    return Project(
        root=root,
        docs_dir=Path(config.docs_dir),
        cache_root=root / plugin_options(config).cache_dir,
        site_name=config.site_name,
        site_url=config.site_url,
        theme=theme_from_material(config.theme.get("palette"), config.theme.get("language")),
    )


def options_of(config: MkDocsConfig, *, offline: bool = False,
               placeholders: bool = False) -> BuildOptions:
    """The build's options: the plugin's, switched on further by the command line's flags
    and by GUIDESMITH_OFFLINE / GUIDESMITH_PLACEHOLDERS (read on every call, so a `serve`
    rebuild sees them)."""
    options = plugin_options(config)
    return BuildOptions(
        offline=options.offline or offline or env_flag(OFFLINE_ENV),
        placeholders=options.placeholders or placeholders or env_flag(PLACEHOLDERS_ENV),
        standalone=options.standalone,
        pdf=options.pdf,
        handout=options.handout,
        paper=options.paper,
        workers=options.workers,
    )
