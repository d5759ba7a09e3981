"""Where guidesmith was installed from, and the requirement `init` pins for it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sysconfig
import venv
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator import __version__, provenance
from generator.provenance import (
    InstallSource,
    ProvenanceError,
    from_direct_url,
    install_source,
)
from generator.scaffold import init_project

ROOT = Path(__file__).resolve().parents[1]
DIGEST = "0c9e347e6ab24fd1dee89a3f597d6826ac5647d8c3281ec681381a1f8c58bd6f"
COMMIT = "1f3c5e7a9b2d4f6081a3c5e7f9b1d3f5a7c9e1b3"


# --- each shape of direct_url.json (PEP 610), as pip writes it ---------------------------


@pytest.mark.parametrize(
    ("info", "requirement", "kind", "local"),
    [
        pytest.param(
            {"url": "file:///home/ann/guidesmith", "dir_info": {}},
            "guidesmith @ file:///home/ann/guidesmith", "directory", True, id="folder",
        ),
        pytest.param(
            {"url": "file:///home/ann/guidesmith", "dir_info": {"editable": True}},
            "-e file:///home/ann/guidesmith", "editable", True, id="editable",
        ),
        pytest.param(
            {"url": "file:///home/ann/my%20tools/guidesmith", "dir_info": {"editable": False}},
            "guidesmith @ file:///home/ann/my%20tools/guidesmith", "directory", True,
            id="folder-with-a-space",
        ),
        pytest.param(
            {"url": "https://github.com/ann/guidesmith.git",
             "vcs_info": {"vcs": "git", "requested_revision": "main", "commit_id": COMMIT}},
            f"guidesmith @ git+https://github.com/ann/guidesmith.git@{COMMIT}", "vcs", False,
            id="git",
        ),
        pytest.param(
            {"url": "https://github.com/ann/tools.git", "subdirectory": "guidesmith",
             "vcs_info": {"vcs": "git", "commit_id": COMMIT}},
            f"guidesmith @ git+https://github.com/ann/tools.git@{COMMIT}#subdirectory=guidesmith",
            "vcs", False, id="git-subdirectory",
        ),
        pytest.param(
            {"url": "file:///srv/git/guidesmith", "vcs_info": {"vcs": "git", "commit_id": COMMIT}},
            f"guidesmith @ git+file:///srv/git/guidesmith@{COMMIT}", "vcs", True,
            id="git-local-clone",
        ),
        pytest.param(
            {"url": "file:///tmp/w/guidesmith-0.1.0-py3-none-any.whl",
             "archive_info": {"hash": f"sha256={DIGEST}", "hashes": {"sha256": DIGEST}}},
            f"guidesmith @ file:///tmp/w/guidesmith-0.1.0-py3-none-any.whl#sha256={DIGEST}",
            "archive", True, id="wheel-file",
        ),
        pytest.param(
            {"url": "https://example.org/guidesmith-0.1.0.tar.gz",
             "archive_info": {"hash": f"sha256={DIGEST}"}},
            f"guidesmith @ https://example.org/guidesmith-0.1.0.tar.gz#sha256={DIGEST}",
            "archive", False, id="sdist-url-legacy-hash",
        ),
        pytest.param(
            {"url": "https://example.org/guidesmith.zip", "archive_info": {}},
            "guidesmith @ https://example.org/guidesmith.zip", "archive", False,
            id="archive-without-hash",
        ),
    ],
)
def test_each_direct_url_shape_gives_the_requirement_that_installs_it_again(
    info: dict[str, Any], requirement: str, kind: str, local: bool
) -> None:
    source = from_direct_url(info)
    assert (source.requirement, source.kind, source.local) == (requirement, kind, local)


@pytest.mark.parametrize(
    ("info", "message"),
    [
        ({"dir_info": {}}, "direct_url.json has no 'url'"),
        ({"url": "https://x/y", "vcs_info": {"vcs": "git"}},
         "direct_url.json's vcs_info has no 'vcs' or 'commit_id'"),
        ({"url": "https://x/y"}, "direct_url.json has none of vcs_info, archive_info, dir_info"),
    ],
)
def test_a_direct_url_that_says_nothing_usable_is_refused(
    info: dict[str, Any], message: str
) -> None:
    with pytest.raises(ProvenanceError, match=f"^{re.escape(message)}$"):
        from_direct_url(info)


class FakeDistribution:
    """What importlib.metadata offers of one installed distribution: its files' text."""

    def __init__(self, files: dict[str, str], version: str = "1.2.3") -> None:
        self.files, self.version = files, version

    def read_text(self, name: str) -> str | None:
        return self.files.get(name)


def test_an_install_from_an_index_is_pinned_by_version(monkeypatch: pytest.MonkeyPatch) -> None:
    # A build's leftover guidesmith.egg-info (no INSTALLER) is passed over.
    found = [FakeDistribution({"PKG-INFO": "..."}, "0.0.0"),
             FakeDistribution({"INSTALLER": "pip\n"})]
    monkeypatch.setattr(provenance, "distributions", lambda name: found)
    source = install_source()
    assert (source.requirement, source.kind, source.local) == ("guidesmith==1.2.3", "index", False)


def test_an_install_with_a_direct_url_is_pinned_to_it(monkeypatch: pytest.MonkeyPatch) -> None:
    record = {"url": "https://github.com/ann/guidesmith", "vcs_info": {"vcs": "git",
                                                                      "commit_id": COMMIT}}
    found = [FakeDistribution({"INSTALLER": "uv", "direct_url.json": json.dumps(record)})]
    monkeypatch.setattr(provenance, "distributions", lambda name: found)
    assert install_source().requirement == (
        f"guidesmith @ git+https://github.com/ann/guidesmith@{COMMIT}")


def test_a_damaged_record_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    found = [FakeDistribution({"INSTALLER": "pip", "direct_url.json": "{not json"})]
    monkeypatch.setattr(provenance, "distributions", lambda name: found)
    with pytest.raises(ProvenanceError, match=r"^direct_url\.json is not JSON"):
        install_source()


def test_running_from_a_checkout_that_is_not_installed_pins_the_checkout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(provenance, "distributions", lambda name: [])
    source = install_source()
    assert source.requirement == f"guidesmith @ {ROOT.as_uri()}"
    assert source.local


# --- what `init` writes with it ------------------------------------------------------------

LOCAL = InstallSource("guidesmith @ file:///home/ann/guidesmith", "directory",
                      "the folder /home/ann/guidesmith", local=True)
INDEX = InstallSource(f"guidesmith=={__version__}", "index",
                      f"version {__version__} from a package index")


def test_init_pins_the_source_in_requirements_and_readme(tmp_path: Path) -> None:
    init_project(tmp_path / "local", "Local", LOCAL)
    requirements = (tmp_path / "local/requirements.txt").read_text().splitlines()
    assert requirements[-1] == LOCAL.requirement
    assert "# That is a path on the machine where `guidesmith init` ran: `make site` works " \
        "there, but" in requirements
    readme = (tmp_path / "local/README.md").read_text()
    assert f"```text\n{LOCAL.requirement}\n```" in readme
    assert "That is a path on the machine where the project was made" in readme

    init_project(tmp_path / "released", "Released", INDEX)
    assert (tmp_path / "released/requirements.txt").read_text().splitlines()[-1] == (
        f"guidesmith=={__version__}")
    readme = (tmp_path / "released/README.md").read_text()
    assert readme.startswith("# Released\n")
    assert "path on the machine" not in readme
    for command in ("make site", "make serve", "make check", 'guidesmith new "',
                    "Settings → Pages → Source"):
        assert command in readme


def _guard_step(project: Path) -> str:
    workflow = yaml.safe_load((project / ".github/workflows/publish.yml").read_text())
    steps = workflow["jobs"]["build"]["steps"]
    names = [step.get("name", "") for step in steps]
    guard = names.index("Check that requirements.txt names a guidesmith this runner can install")
    install = names.index("Install guidesmith")
    assert guard < install
    assert steps[install]["run"] == "python -m pip install -r requirements.txt"
    return steps[guard]["run"]


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
@pytest.mark.parametrize(
    ("line", "refused"),
    [
        (LOCAL.requirement, True),
        ("-e file:///home/ann/guidesmith", True),
        ("-e /home/ann/guidesmith", True),
        ("./vendor/guidesmith-0.1.0-py3-none-any.whl", True),
        (f"guidesmith @ git+file:///srv/git/guidesmith@{COMMIT}", True),
        (f"guidesmith=={__version__}", False),
        (f"guidesmith @ git+https://github.com/ann/guidesmith@{COMMIT}", False),
        ("# guidesmith @ file:///old/path\nguidesmith==1.0.0", False),
    ],
)
def test_the_workflow_refuses_a_path_on_another_machine_with_a_message(
    tmp_path: Path, line: str, refused: bool
) -> None:
    project = tmp_path / "p"
    init_project(project, "P", INDEX)
    (project / "requirements.txt").write_text(f"# made by init\n{line}\n")
    run = subprocess.run(["bash", "-e", "-c", _guard_step(project)], cwd=project,
                         capture_output=True, text=True, timeout=30)
    assert run.returncode == (1 if refused else 0), run.stdout + run.stderr
    if refused:
        assert run.stdout.startswith(
            "::error file=requirements.txt::requirements.txt installs guidesmith from a path "
            "on the machine where the project was made, which this runner cannot see")
    else:
        assert run.stdout == ""


# --- end to end: install from this checkout, `init`, the project's own `make site` --------
#
# Offline and quick: each fresh venv has no pip and no packages of its own, but sees the
# test venv's installed packages (pip, setuptools, mkdocs, WeasyPrint…) through a .pth file
# naming a folder of links to them, guidesmith's own left out. So pip must really install
# guidesmith from what requirements.txt says, and finds every dependency already there:
# PIP_NO_INDEX proves nothing is fetched, and builds use the test venv's setuptools
# (no build isolation, which would download it).


@pytest.fixture(scope="module")
def installed_elsewhere(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of links to the test venv's packages, guidesmith's own excluded."""
    folder = tmp_path_factory.mktemp("deps")
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        name = entry.name.lower()
        if name.startswith(("guidesmith", "generator")) or (
            name.startswith("__editable__") and "guidesmith" in name
        ):
            continue
        (folder / entry.name).symlink_to(entry)
    return folder


def _fresh_venv(path: Path, deps: Path) -> Path:
    venv.EnvBuilder(with_pip=False, symlinks=True).create(path)
    purelib = sysconfig.get_paths(vars={"base": str(path), "platbase": str(path)})["purelib"]
    Path(purelib, "test-deps.pth").write_text(f"{deps}\n")
    return path / "bin"


def _env() -> dict[str, str]:
    env = {**os.environ, "PIP_NO_INDEX": "1", "PIP_NO_BUILD_ISOLATION": "0",
           "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    for inherited in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "VIRTUAL_ENV"):
        env.pop(inherited, None)
    return env


def _run(*args: str | Path, cwd: Path | None = None) -> str:
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=_env(), capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def _direct_url(bin_dir: Path) -> dict[str, Any]:
    code = ("import importlib.metadata as m; "
            "print(m.distribution('guidesmith').read_text('direct_url.json'))")
    done = subprocess.run([str(bin_dir / "python"), "-c", code], env=_env(), cwd=bin_dir,
                          capture_output=True, text=True, timeout=60, check=True)
    return json.loads(done.stdout)


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize("how", ["wheel", "folder", "editable"])
def test_a_project_made_by_init_builds_with_its_own_make_site(
    how: str, installed_elsewhere: Path, clean_checkout: Path, tmp_path: Path
) -> None:
    checkout = clean_checkout
    author = _fresh_venv(tmp_path / "author-venv", installed_elsewhere)
    if how == "wheel":
        _run(author / "python", "-m", "pip", "wheel", "--no-deps", "-w", tmp_path / "dist",
             checkout)
        wheel = next((tmp_path / "dist").glob("guidesmith-*.whl"))
        target: list[str | Path] = [wheel]
        expected = f"guidesmith @ {wheel.as_uri()}#sha256="
    elif how == "folder":
        target, expected = [checkout], f"guidesmith @ {checkout.as_uri()}"
    else:
        target, expected = ["-e", checkout], f"-e {checkout.as_uri()}"
    _run(author / "python", "-m", "pip", "install", "--no-deps", *target)
    said = _run(author / "guidesmith", "init", "proj", cwd=tmp_path)
    project = tmp_path / "proj"
    requirement = (project / "requirements.txt").read_text().splitlines()[-1]
    assert requirement.startswith(expected)
    assert f"requirements.txt installs {requirement} (" in said

    # The project's own venv, empty of guidesmith: `make site` installs and builds.
    own = _fresh_venv(tmp_path / "project-venv", installed_elsewhere)
    _run("make", "site", f"VENV={own.parent}", cwd=project)
    assert _direct_url(own) == _direct_url(author)  # the very same thing
    assert (project / "site/01-create-a-project/index.html").is_file()
    assert (project / "site/handout.pdf").read_bytes().startswith(b"%PDF")
    dry = _run("make", "-n", "serve", f"VENV={own.parent}", cwd=project)
    assert dry.strip().splitlines()[-1] == f"{own}/guidesmith serve"

