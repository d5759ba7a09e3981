"""Serve the demo app (demo/app/) on 127.0.0.1, alone or around a command.

    python demo/serve.py                      # http://127.0.0.1:8765/ until Ctrl-C
    python demo/serve.py -- guidesmith capture guides/03-create-a-project.yml

With a command, the app is served while it runs and the command's exit status is returned
(`make capture`). Tests and the benchmark import `serving()` to serve it, or a variant of
it, on a free port.
"""

from __future__ import annotations

import argparse
import functools
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

APP = Path(__file__).resolve().parent / "app"
PORT = 8765


class _Quiet(SimpleHTTPRequestHandler):
    """Static files, no request log, nothing cached by the browser between captures."""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()


@contextmanager
def serving(directory: Path = APP, port: int = 0) -> Iterator[str]:
    """Serve `directory` on 127.0.0.1:`port` (0: a free one) in a thread; yield its URL."""
    handler = functools.partial(_Quiet, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=PORT)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    with serving(APP, args.port) as url:
        if command:
            return subprocess.run(command, check=False).returncode
        print(f"Serving the demo app at {url} (Ctrl-C stops it)")
        with suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
