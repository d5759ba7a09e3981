"""summary: one line per cause for images that could not be fetched, and the network hint;
then the same through `guidesmith build` and `check` on a project whose screenshots live on
a host that does not exist (`.invalid`) or are not in the cache (offline)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import main
from generator.errors import GuideError
from generator.summary import Summary, network_hint, summarise

SECOND = "guides/05-second-guide.yml"
HOST = "screenshots.invalid"
WATERMARK = ("https://colony-labs-public.s3.us-east-2.amazonaws.invalid/images/watermarks/"
             "watermark_default.png")


def fetch_problem(step: int, cause: str = "offline", host: str = HOST, marker: bool = False,
                  severity: str = "warning") -> GuideError:
    field = "image.marker.src" if marker else "image.src"
    return GuideError(SECOND, f"offline: https://{host}/{step:02d}.png is not in the download "
                      "cache; rendered a placeholder", 6 + 3 * step, 12,
                      f"steps[{step}].{field} (step {step + 1})", severity, cause, host)


# -- the pure part -------------------------------------------------------------------------


def test_problems_of_one_cause_and_host_become_one_line_at_the_first() -> None:
    other = GuideError(SECOND, "marker at (500, 20) is entirely outside the 200x150 image",
                       4, 5, "steps[0].image.marker.pad (step 1)", "warning")
    problems = [fetch_problem(0), other, fetch_problem(1), fetch_problem(2)]

    [summary, kept] = summarise(problems)

    assert kept is other
    assert isinstance(summary, Summary)
    assert summary.text() == (
        "3 screenshots could not be fetched (offline: not in the download cache): placeholders "
        f"rendered; first: {problems[0].text()} (--verbose lists them all)")
    assert summary.github() == (
        f"::warning file={SECOND},line=6,col=12::steps[0].image.src (step 1): 3 screenshots "
        "could not be fetched (offline: not in the download cache): placeholders rendered; "
        f"the first is here: offline: https://{HOST}/00.png is not in the download cache; "
        "rendered a placeholder")


def test_verbose_lists_every_problem() -> None:
    problems = [fetch_problem(0), fetch_problem(1)]
    assert summarise(problems, verbose=True) == problems


def test_a_cause_seen_once_is_said_as_it_is() -> None:
    problems = [fetch_problem(0, "unreachable"), fetch_problem(1, "unreachable", "b.invalid")]
    assert summarise(problems) == problems


def test_being_offline_is_one_line_whichever_hosts_were_asked() -> None:
    """The imported AutoCon series: one guide's marker lives on another bucket's host."""
    problems = [fetch_problem(0, marker=True), fetch_problem(1, host="b.invalid", marker=True),
                fetch_problem(2, "budget", severity="error"),
                fetch_problem(3, "budget", host="b.invalid", severity="error")]

    lines = [item.text() for item in summarise(problems)]

    assert [line.split("; first:")[0] for line in lines] == [
        "2 markers could not be fetched (offline: not in the download cache): the built-in "
        "marker drawn instead",
        "2 screenshots could not be fetched (the build's time for downloads ran out)",
    ]


def test_hosts_causes_severities_and_markers_are_separate_lines() -> None:
    problems = [
        *(fetch_problem(i, "unreachable", severity="error") for i in range(2)),
        *(fetch_problem(i, "unreachable", host="b.invalid", severity="error") for i in range(2)),
        *(fetch_problem(i, "timeout", severity="error") for i in range(2)),
        *(fetch_problem(i, "unreachable", marker=True) for i in range(2)),
    ]

    lines = [item.message for item in summarise(problems) if isinstance(item, Summary)]

    assert lines == [
        f"2 screenshots could not be fetched (the host {HOST} is unreachable)",
        "2 screenshots could not be fetched (the host b.invalid is unreachable)",
        f"2 screenshots could not be fetched (downloads from {HOST} took too long)",
        f"2 markers could not be fetched (the host {HOST} is unreachable): the built-in marker "
        "drawn instead",
    ]


def test_local_problems_are_never_folded() -> None:
    missing = [GuideError(SECOND, f"local file not found: guides/{i}.png", i, 1, "x", "error",
                          "local") for i in range(3)]
    assert summarise(missing) == missing


def test_the_hint_names_the_hosts_and_both_ways_out() -> None:
    problems = [fetch_problem(0, "unreachable", severity="error"),
                fetch_problem(1, "offline", host="b.invalid", severity="error")]
    assert network_hint(problems) == (
        "Images could not be fetched: `guidesmith build --offline --placeholders` works without "
        "them; `guidesmith download` keeps a copy of every remote image in guides/assets/ so "
        f"the project no longer depends on b.invalid, {HOST}.")
    assert network_hint(problems, "guidesmith check").startswith(  # type: ignore[union-attr]
        "Images could not be fetched: `guidesmith check --offline --placeholders`")


def test_no_hint_when_the_network_is_not_why() -> None:
    local = GuideError(SECOND, "local file not found: x.png", 1, 1, "x", "error", "local")
    assert network_hint([local]) is None
    assert network_hint([fetch_problem(0)]) is None  # a warning: the build did not fail


# -- through the commands ------------------------------------------------------------------


@pytest.fixture
def remote(project: Callable[[str], Path]) -> Path:
    """The basic project with its second guide's three screenshots on a host that does not
    exist, marked with Scribe's 2023 default marker (also on a host that does not exist)."""
    root = project("basic")
    steps = "".join(
        f"  - text: Step {n}\n    image:\n      src: https://{HOST}/{n:02d}.png\n"
        f"      crop: [0, 0, 320, 240]\n      marker: {{src: \"{WATERMARK}\", pad: [5, 5]}}\n"
        for n in (1, 2, 3))
    (root / SECOND).write_text(
        f"title: Second guide\norder: 5\nchapter: \"Chapter 1: Basics\"\nsteps:\n{steps}")
    return root


def run(root: Path, command: str, *args: str) -> tuple[int, list[str]]:
    result = CliRunner().invoke(main, [command, "--config-file", str(root / "mkdocs.yml"), *args])
    return result.exit_code, result.output.splitlines()


def test_a_build_on_an_unreachable_host_says_it_once_and_how_to_build_anyway(
    remote: Path,
) -> None:
    code, lines = run(remote, "build")

    assert code == 1
    about = [line for line in lines if HOST in line]
    assert len(about) == 2, lines  # the summary, and the hint
    assert about[0].startswith(
        f"3 screenshots could not be fetched (the host {HOST} is unreachable); first: "
        f"{SECOND}:7:12: steps[0].image.src (step 1): cannot reach {HOST} (")
    assert lines[-2] == f"Error: the build failed (see above); {remote / 'site'} was left as it was"
    assert lines[-1] == (
        "Images could not be fetched: `guidesmith build --offline --placeholders` works without "
        "them; `guidesmith download` keeps a copy of every remote image in guides/assets/ so "
        f"the project no longer depends on {HOST}.")
    assert not (remote / "site").exists()


def test_offline_with_placeholders_builds_with_one_line_per_cause(remote: Path) -> None:
    code, lines = run(remote, "build", "--offline", "--placeholders")

    assert code == 0, lines
    warned = [line for line in lines if "could not be fetched" in line or "unavailable" in line]
    assert len(warned) == 2, lines
    assert warned[0].startswith(
        "3 screenshots could not be fetched (offline: not in the download cache): placeholders "
        f"rendered; first: {SECOND}:7:12: warning: steps[0].image.src (step 1): offline: ")
    # Scribe's 2023 marker, said once: drawn as the built-in marker in Scribe's orange.
    assert warned[1].endswith(
        f"marker {WATERMARK} unavailable (offline: {WATERMARK} is not in the download cache); "
        "using builtin:circle#FB923C")
    assert (remote / "site/05-second-guide/step-03.jpg").is_file()


def test_verbose_lists_every_screenshot(remote: Path) -> None:
    code, lines = run(remote, "build", "--offline", "--placeholders", "--verbose")

    assert code == 0
    assert sum("rendered a placeholder" in line for line in lines) == 3
    assert not any("could not be fetched" in line for line in lines)


def test_check_offline_fails_with_the_hint_and_passes_with_placeholders(remote: Path) -> None:
    code, lines = run(remote, "check", "--offline")
    assert code == 1
    [said] = [line for line in lines if "screenshots could not be fetched" in line]
    assert said.startswith("3 screenshots could not be fetched (offline: not in the "
                           "download cache); first: ")
    assert lines[-1].startswith(
        "Images could not be fetched: `guidesmith check --offline --placeholders` works")

    code, lines = run(remote, "check", "--offline", "--placeholders")
    assert code == 0, lines
    [said] = [line for line in lines if "screenshots could not be fetched" in line]
    assert said.startswith("3 screenshots could not be fetched (offline: not in the "
                           "download cache): placeholders rendered; first: ")
    assert lines[-1] == "2 guide(s), 6 step(s): no errors."
