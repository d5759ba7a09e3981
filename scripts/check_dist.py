"""Check built distributions before they are published: nothing missing, the right version.

A wheel that lacks a template or the schema installs fine and fails at the first build, so
this compares the wheel with the source: every file of generator/ (templates, project
templates, the JSON Schema, the code) must be in it. With --tag (the release workflow),
the tag, pyproject.toml's version, the files' version and a CHANGELOG.md section must agree.

    python scripts/check_dist.py dist/ [--tag v0.1.0]

Prints one line per problem and exits 1 when there is any.
"""

from __future__ import annotations

import argparse
import re
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "generator"


def source_files(root: Path) -> set[str]:
    """The package's files as a wheel names them (`generator/templates/print.css`)."""
    package = root / PACKAGE
    return {
        path.relative_to(root).as_posix()
        for path in package.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }


def _version(root: Path) -> str:
    with open(root / "pyproject.toml", "rb") as handle:
        return tomllib.load(handle)["project"]["version"]


def check(dist: Path, root: Path = ROOT, tag: str | None = None) -> list[str]:
    """Every problem of the wheel and sdist in `dist`, as lines to print."""
    wheels = sorted(dist.glob("guidesmith-*.whl"))
    sdists = sorted(dist.glob("guidesmith-*.tar.gz"))
    problems = []
    if len(wheels) != 1:
        problems.append(f"{dist}: expected one guidesmith wheel, found {len(wheels)}")
    if len(sdists) > 1:
        problems.append(f"{dist}: expected at most one sdist, found {len(sdists)}")
    version = _version(root)
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as archive:
            names = set(archive.namelist())
        problems += [f"{wheel.name} lacks {name}"
                     for name in sorted(source_files(root) - names)]
    for sdist in sdists:
        with tarfile.open(sdist) as archive:
            names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
        problems += [f"{sdist.name} lacks {name}"
                     for name in sorted((source_files(root) | {"pyproject.toml"}) - names)]
    init = (root / PACKAGE / "__init__.py").read_text(encoding="utf-8")
    said = re.search(r'^__version__ = "([^"]+)"$', init, re.MULTILINE)
    if said is None or said[1] != version:
        problems.append(f"generator/__init__.py's __version__ is not {version} (pyproject.toml)")
    for built in (*wheels, *sdists):
        if not built.name.startswith(f"guidesmith-{version}"):
            problems.append(f"{built.name} is not version {version} (pyproject.toml)")
    if tag is not None:
        if tag.removeprefix("v") != version:
            problems.append(f"the tag {tag} does not match pyproject.toml's version {version}")
        changelog = (root / "CHANGELOG.md").read_text(encoding="utf-8")
        if not re.search(rf"^## \[{re.escape(version)}\] - \d{{4}}-\d{{2}}-\d{{2}}$", changelog,
                         re.MULTILINE):
            problems.append(f"CHANGELOG.md has no '## [{version}] - YYYY-MM-DD' section")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dist", type=Path, help="the folder with the wheel and the sdist")
    parser.add_argument("--tag", help="the release tag, e.g. v0.1.0")
    args = parser.parse_args()
    problems = check(args.dist, tag=args.tag)
    for problem in problems:
        print(problem)
    if not problems:
        print(f"{args.dist}: complete" + (f", version {args.tag}" if args.tag else ""))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
