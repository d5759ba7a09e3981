"""The `guidesmith` command's entry point: warm the workers, then run the command.

A build's workers fork from a server that has imported the renderers (workers.warm_up),
which takes most of a second. Started here, before this process imports MkDocs and reads
the project, that import runs on another core meanwhile, so a rebuild that lays out one
PDF does not wait for it. On one core it would only compete, so it is not done there.
"""

from __future__ import annotations

import sys

WARM_COMMANDS = frozenset({"build", "serve", "markdown"})


def main() -> None:
    args = sys.argv[1:]
    if args and args[0] in WARM_COMMANDS and not {"-h", "--help"} & set(args):
        from generator.workers import cores, warm_up

        if cores() > 1:
            warm_up()
    from generator.cli import main as cli_main

    cli_main()
