"""What the benchmarks share: where things are, a timed command, and a table of rounds."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
GUIDESMITH = str(Path(sys.executable).parent / "guidesmith")


def run_timed(command: Sequence[str], cwd: Path,
              env: Mapping[str, str] | None = None) -> tuple[float, str]:
    """Run `command`; its wall time and what it said on stderr. A failure ends the bench."""
    start = time.perf_counter()
    done = subprocess.run(list(command), cwd=cwd, env=env, capture_output=True, text=True,
                          check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")
    return seconds, done.stderr


def print_rounds(rows: Mapping[str, Sequence[float]]) -> None:
    """Each run's wall time in every round, a column a round."""
    rounds = len(next(iter(rows.values())))
    print(f"{'run':48} " + " ".join(f"{'round ' + str(i + 1):>8}" for i in range(rounds)))
    for name, seconds in rows.items():
        print(f"{name:48} " + " ".join(f"{s:8.2f}" for s in seconds))


def ratio_line(label: str, ratios: Sequence[float], target: str = "", digits: int = 3) -> str:
    """`label = median M (rounds: a, b, c)`, and the target when there is one."""
    each = ", ".join(f"{ratio:.{digits}f}" for ratio in ratios)
    wanted = f"   (target <= {target})" if target else ""
    return f"{label} = median {statistics.median(ratios):.{digits}f} (rounds: {each}){wanted}"
