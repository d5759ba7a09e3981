"""The `guidesmith` command's entry point: warm the workers, then run the command.

A build's workers fork from a server that has imported the renderers (workers.warm_up),
which takes most of a second. Started here, before this process imports MkDocs and reads
the project, that import runs on another core meanwhile, so a rebuild that lays out one
PDF does not wait for it. On one core it would only compete, so it is not done there.

When the command is over, the process ends at once (os._exit) rather than have the
interpreter take apart MkDocs', Jinja's and pydantic's objects one by one, which costs
about 0.1 s a build: everything the command wrote is closed and synced by then, and the
standard streams and logging are flushed here first.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys

WARM_COMMANDS = frozenset({"build", "serve", "markdown"})


def main() -> None:
    args = sys.argv[1:]
    if args and args[0] in WARM_COMMANDS and not {"-h", "--help"} & set(args):
        from generator.workers import cores, warm_up

        if cores() > 1:
            warm_up()
    from generator.cli import main as cli_main

    try:
        cli_main()
        code = 0
    except SystemExit as exc:  # how click ends every command
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if exc.code is not None and not isinstance(exc.code, int):
            print(exc.code, file=sys.stderr)
    if "generator.workers" in sys.modules:
        from generator.workers import cool_down

        cool_down()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:  # None when the caller closed it
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
    os._exit(code)
