"""Where the running guidesmith was installed from, as a requirement that installs it again.

`guidesmith init` pins that in the new project's requirements.txt. A version pin works only
when guidesmith came from a package index; otherwise pip recorded the real source in the
distribution's `direct_url.json` (PEP 610): a local folder (editable or not), a VCS URL and
commit, or an archive (a wheel or sdist, by URL or file). Each gives the line that makes pip
install the same thing again. A path on this machine works here and nowhere else, so it is
marked `local`: the project's workflow refuses it with a message instead of failing in pip.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib.metadata import Distribution, distributions
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from generator import __version__

NAME = "guidesmith"


class ProvenanceError(Exception):
    """A direct_url.json that does not say where guidesmith came from."""


@dataclass(frozen=True)
class InstallSource:
    """How to install the guidesmith that is running, and whether only this machine can."""

    requirement: str  # one line of requirements.txt
    kind: str  # index, directory, editable, vcs, archive or source tree
    described: str  # what it is, for the project's README and comments
    local: bool = False  # a path on this machine: GitHub's runners cannot install it


def from_direct_url(info: dict[str, Any]) -> InstallSource:
    """The requirement for one direct_url.json (PEP 610), whichever of its three shapes."""
    url = info.get("url")
    if not isinstance(url, str) or not url:
        raise ProvenanceError("direct_url.json has no 'url'")
    local = urlsplit(url).scheme == "file"
    fragment = [f"subdirectory={info['subdirectory']}"] if info.get("subdirectory") else []
    if isinstance(vcs := info.get("vcs_info"), dict):
        commit = vcs.get("commit_id")
        if not vcs.get("vcs") or not commit:
            raise ProvenanceError("direct_url.json's vcs_info has no 'vcs' or 'commit_id'")
        line = _with_fragment(f"{NAME} @ {vcs['vcs']}+{url}@{commit}", fragment)
        return InstallSource(line, "vcs", f"{vcs['vcs']} {url} at commit {commit}", local)
    if isinstance(archive := info.get("archive_info"), dict):
        digest = _archive_hash(archive)
        line = _with_fragment(f"{NAME} @ {url}", [digest, *fragment] if digest else fragment)
        where = _path_of(url) if local else url
        return InstallSource(line, "archive", f"the archive {where}", local)
    if isinstance(folder := info.get("dir_info"), dict):
        path = _path_of(url)
        if folder.get("editable"):
            return InstallSource(f"-e {url}", "editable", f"the folder {path}, editable", local)
        line = _with_fragment(f"{NAME} @ {url}", fragment)
        return InstallSource(line, "directory", f"the folder {path}", local)
    raise ProvenanceError("direct_url.json has none of vcs_info, archive_info, dir_info")


def _with_fragment(line: str, parts: list[str]) -> str:
    return f"{line}#{'&'.join(parts)}" if parts else line


def _archive_hash(archive: dict[str, Any]) -> str | None:
    """'sha256=…' from `hashes` (current) or `hash` (deprecated); pip checks it on install."""
    hashes = archive.get("hashes")
    if isinstance(hashes, dict) and hashes:
        name = "sha256" if "sha256" in hashes else sorted(hashes)[0]
        return f"{name}={hashes[name]}"
    legacy = archive.get("hash")
    return legacy if isinstance(legacy, str) and "=" in legacy else None


def _path_of(url: str) -> str:
    parts = urlsplit(url)
    return unquote(parts.path) if parts.scheme == "file" else url


def from_index(version: str = __version__) -> InstallSource:
    return InstallSource(f"{NAME}=={version}", "index", f"version {version} from a package index")


def installed_distribution() -> Distribution | None:
    """The installed guidesmith, as pip (or uv…) recorded it.

    A `guidesmith.egg-info` that a build left in a checkout is found first when Python runs
    from there, but it says nothing of an install: only distributions with an INSTALLER or
    a direct_url.json count.
    """
    for dist in distributions(name=NAME):
        if dist.read_text("INSTALLER") is not None or dist.read_text("direct_url.json"):
            return dist
    return None


def install_source() -> InstallSource:
    """How to install the running guidesmith again (see the module's docstring)."""
    dist = installed_distribution()
    if dist is None:
        tree = Path(__file__).resolve().parents[1]
        if (tree / "pyproject.toml").is_file():  # run from a checkout, not installed
            return InstallSource(f"{NAME} @ {tree.as_uri()}", "source tree",
                                 f"the folder {tree}", local=True)
        return from_index()
    text = dist.read_text("direct_url.json")
    if not text:
        return from_index(dist.version)
    try:
        info = json.loads(text)
    except ValueError as exc:
        raise ProvenanceError(f"direct_url.json is not JSON: {exc}") from None
    if not isinstance(info, dict):
        raise ProvenanceError("direct_url.json is not a JSON object")
    return from_direct_url(info)
