"""One line per cause: many images that could not be fetched for one reason, said once.

An imported series on a machine that cannot reach Scribe's servers has hundreds of
screenshots that fail the same way; a line each would bury the problems an author must
read. `summarise` folds the fetch problems of one cause (and host, where the cause is the
host's) into one line that counts them and shows the first; everything else passes through
as it is. `network_hint` is the last line of a build that failed because of the network:
how to build anyway, and how to stop depending on the host. Pure: problems in, lines out.
"""

from __future__ import annotations

from dataclasses import dataclass

from generator.errors import GuideError
from generator.fetch import NETWORK_CAUSES

_WHY = {
    "offline": "offline: not in the download cache",
    "unreachable": "the host {host} is unreachable",
    "timeout": "downloads from {host} took too long",
    "budget": "the build's time for downloads ran out",
    "reset": "{host} dropped the connections",
    "http": "{host} answered with an HTTP error",
}


@dataclass(frozen=True)
class Summary:
    """Problems of one cause, said once: how many, why, and the first of them."""

    first: GuideError
    count: int
    noun: str  # "screenshot" or "marker"
    cause: str
    host: str

    @property
    def severity(self) -> str:
        return self.first.severity

    @property
    def message(self) -> str:
        why = _WHY[self.cause].format(host=self.host or "the server")
        said = f"{self.count} {self.noun}s could not be fetched ({why})"
        if self.severity == "warning":
            said += ": " + ("placeholders rendered" if self.noun == "screenshot"
                            else "the built-in marker drawn instead")
        return said

    def text(self) -> str:
        """`458 screenshots could not be fetched (…): placeholders rendered; first: …`"""
        return f"{self.message}; first: {self.first.text()} (--verbose lists them all)"

    def github(self) -> str:
        """One annotation, at the first of them."""
        first = self.first
        return GuideError(first.path, f"{self.message}; the first is here: {first.message}",
                          first.line, first.col, first.loc, first.severity).github()


def _subject(problem: GuideError) -> str:
    return "marker" if ".marker." in problem.loc else "screenshot"


def _group(problem: GuideError) -> tuple[str, str, str, str]:
    """What one line says: severity, cause, kind, and the host where the cause is the
    host's (being offline or out of time is the build's, whichever host was asked)."""
    host = problem.host if "{host}" in _WHY[problem.cause] else ""
    return problem.severity, problem.cause, host, _subject(problem)


def summarise(problems: list[GuideError], verbose: bool = False) -> list[GuideError | Summary]:
    """The problems to print: those of one network cause, kind and (for a host's cause)
    host folded into one Summary at the place of the first (a cause seen once stays as it
    is); the others, and every problem with `verbose`, as they are."""
    if verbose:
        return list(problems)
    groups: dict[tuple[str, str, str, str], list[GuideError]] = {}
    for problem in problems:
        if problem.cause in NETWORK_CAUSES:
            key = _group(problem)
            groups.setdefault(key, []).append(problem)
    out: list[GuideError | Summary] = []
    for problem in problems:
        if problem.cause not in NETWORK_CAUSES:
            out.append(problem)
            continue
        key = _group(problem)
        group = groups[key]
        if len(group) == 1:
            out.append(problem)
        elif group[0] is problem:
            out.append(Summary(problem, len(group), key[3], problem.cause, key[2]))
    return out


def network_hint(problems: list[GuideError], command: str = "guidesmith build") -> str | None:
    """The last line of a run that failed because images could not be fetched, or None:
    how to build anyway, and how to make the project independent of the hosts."""
    failed = [p for p in problems if p.severity == "error" and p.cause in NETWORK_CAUSES]
    if not failed:
        return None
    hosts = sorted({p.host for p in failed if p.host})
    named = ", ".join(hosts[:2]) + (f" and {len(hosts) - 2} more" if len(hosts) > 2 else "")
    on = f" on {named}" if named else " on other servers"
    return (f"Images could not be fetched: `{command} --offline --placeholders` works without "
            f"them; `guidesmith download` keeps a copy of every remote image in guides/assets/ "
            f"so the project no longer depends{on}.")
