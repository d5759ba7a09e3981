"""The release path: the workflow's shape, and distributions that hold everything."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
import yaml
from conftest import load_script

from generator import __version__

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github/workflows/release.yml"


check_dist = load_script(ROOT / "scripts/check_dist.py", "check_dist")


def test_a_version_tag_builds_tests_and_publishes_with_trusted_publishing() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    assert workflow[True] == {"push": {"tags": ["v*"]}}  # YAML 1.1 reads `on:` as True
    assert workflow["permissions"] == {"contents": "read"}  # no job gets more unless it says
    jobs = workflow["jobs"]
    build = "\n".join(step.get("run", "") for step in jobs["build"]["steps"])
    assert "python -m build" in build
    assert 'python scripts/check_dist.py dist --tag "${{ github.ref_name }}"' in build
    test = "\n".join(step.get("run", "") for step in jobs["test"]["steps"])
    assert "pytest" in test and "guidesmith init smoke" in test
    assert "pip install dist/guidesmith-*.whl" in test
    publish = jobs["publish"]
    assert publish["needs"] == ["build", "test"]
    assert publish["permissions"] == {"id-token": "write"}
    assert publish["environment"]["name"] == "pypi"
    assert [s.get("uses") for s in publish["steps"]][-1] == "pypa/gh-action-pypi-publish@release/v1"
    # What is published is what was built and tested: the artifact, not a rebuild.
    assert all("run" not in step for step in publish["steps"])


def test_the_changelog_keeps_a_changelog() -> None:
    text = (ROOT / "CHANGELOG.md").read_text()
    assert text.startswith("# Changelog\n")
    assert "https://keepachangelog.com/en/1.1.0/" in text
    assert "\n## [Unreleased]\n" in text


def _pep517(hook: str, source: Path, out: Path) -> Path:
    """Run setuptools' PEP 517 hook as `python -m build` does, without build isolation."""
    out.mkdir(exist_ok=True)
    code = f"from setuptools import build_meta; print(build_meta.{hook}({str(out)!r}))"
    done = subprocess.run([sys.executable, "-c", code], cwd=source, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return out / done.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def dist(clean_checkout: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An sdist of the checkout, and the wheel built from that sdist, as a release makes."""
    folder = tmp_path_factory.mktemp("dist")
    sdist = _pep517("build_sdist", clean_checkout, folder)
    unpacked = tmp_path_factory.mktemp("sdist")
    with tarfile.open(sdist) as archive:
        archive.extractall(unpacked, filter="data")
    _pep517("build_wheel", next(unpacked.iterdir()), folder)
    return folder


def test_the_built_distributions_hold_every_template_and_the_schema(
    dist: Path, clean_checkout: Path
) -> None:
    assert check_dist.check(dist, clean_checkout) == []
    wheel = next(dist.glob("*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    for needed in ("generator/templates/print.css", "generator/templates/project/README.md",
                   "generator/templates/project/gitignore", "generator/schema/guide.schema.json"):
        assert needed in names


def test_a_wheel_missing_a_file_or_a_release_out_of_step_is_caught(
    dist: Path, clean_checkout: Path, tmp_path: Path
) -> None:
    wheel = next(dist.glob("*.whl"))
    lacking = tmp_path / wheel.name
    with zipfile.ZipFile(wheel) as source, zipfile.ZipFile(lacking, "w") as target:
        for item in source.infolist():
            if item.filename != "generator/templates/project/Makefile":
                target.writestr(item, source.read(item))
    assert check_dist.check(tmp_path, clean_checkout) == [
        f"{wheel.name} lacks generator/templates/project/Makefile"]
    # The package must say the version that pyproject.toml gives the distribution.
    other = shutil.copytree(clean_checkout, tmp_path / "other")
    init = other / "generator/__init__.py"
    init.write_text(init.read_text().replace(f'"{__version__}"', '"9.9.9"'))
    assert check_dist.check(dist, other) == [
        f"generator/__init__.py's __version__ is not {__version__} (pyproject.toml)"]
    # The repository's changelog has no dated section for this version yet: not releasable.
    assert check_dist.check(dist, ROOT, tag="v9.9.9") == [
        f"the tag v9.9.9 does not match pyproject.toml's version {__version__}",
        f"CHANGELOG.md has no '## [{__version__}] - YYYY-MM-DD' section",
    ]
