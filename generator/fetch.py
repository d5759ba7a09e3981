"""The only network code: read a step's image source, local or http(s), within limits.

Downloads are kept in a content-checked cache so a build fetches each URL once, ever, and
so `offline=True` can rebuild a site without opening a single socket. Local files are read
in place and must stay inside the project.

Nothing here waits without a bound: each download has a deadline (all its attempts, however
the server drips, stalls or streams), and the downloads of one build share a budget. Only
what a retry can cure is retried (429, 5xx, a dropped connection); a host that cannot be
reached (no such name, connection refused, TLS failure) is not asked again by this Fetcher.
Every FetchError says why in `cause`, so a build can say "the host is unreachable" once.
"""

from __future__ import annotations

import contextlib
import difflib
import email.utils
import logging
import os
import re
import socket
import stat
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from generator import __version__
from generator.cache import DOWNLOADS, Store, key

if TYPE_CHECKING:  # httpx is imported on the first download: offline builds never need it
    import httpx

log = logging.getLogger(__name__)

ALLOWED_SCHEMES = frozenset({"http", "https"})
# Servers label screenshots loosely; anything else (an HTML login page, a JSON error) is
# a wrong URL that would otherwise surface later as a confusing Pillow error.
IMAGE_TYPES = ("image/", "application/octet-stream", "binary/octet-stream")
RETRY_STATUSES = frozenset({429}) | frozenset(range(500, 600))


# Why a source cannot be had (FetchError.cause). The first six are the network's doing: a
# build that fails on them can be built anyway with --offline --placeholders.
NETWORK_CAUSES = frozenset({"offline", "unreachable", "timeout", "budget", "reset", "http"})
CAUSES = NETWORK_CAUSES | {"response", "refused", "local"}


class FetchError(Exception):
    """An image source that cannot be read; the message is one line, for the author.

    `cause` is one of CAUSES; `host` is the server's name for a URL (None for a local
    file); `url` the URL asked for.
    """

    def __init__(
        self, message: str, cause: str = "response", host: str | None = None,
        url: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message, self.cause, self.host, self.url = message, cause, host, url

    why = ""  # for "unreachable": the reason (name not known, refused, TLS...)

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.message, self.cause, self.host, self.url)


class _TransientError(FetchError):
    """A failure worth retrying: the next attempt may well succeed.

    `retry_after`: the wait the server asked for (Retry-After), in seconds.
    """

    retry_after: float | None = None


class _SchemeRefused(Exception):
    """Raised from the client's request hook when a redirect leaves http(s)."""

    def __init__(self, scheme: str) -> None:
        super().__init__(scheme)
        self.scheme = scheme


@dataclass
class FetchSettings:
    """Limits for downloads; the defaults suit screenshots on an ordinary connection.

    `deadline`: seconds one URL may take, every attempt and wait included. `budget`:
    seconds all the downloads of one build may take (from its first download); after it,
    what is left fails at once. A screenshot is a few hundred kB: 60 s is a very slow link.
    """

    timeout_connect: float = 5.0
    timeout_read: float = 15.0
    deadline: float = 60.0
    budget: float = 300.0
    max_bytes: int = 50 * 1024 * 1024
    retries: int = 3
    backoff: float = 0.5
    max_redirects: int = 5
    offline: bool = False


class Fetcher:
    """Reads image sources for one project; share one instance across threads.

    One httpx.Client is shared (it is thread-safe and pools connections), and a lock per
    URL makes concurrent requests for the same URL download it once.
    """

    def __init__(
        self,
        cache_root: Path,
        project_root: Path,
        settings: FetchSettings | None = None,
    ) -> None:
        self.cache_root = cache_root
        self.project_root = project_root
        self._root = project_root.resolve()  # what local files must stay inside
        self.settings = settings if settings is not None else FetchSettings()
        self.downloads = Store.of(cache_root, DOWNLOADS)
        self._client: httpx.Client | None = None
        self._closed = False
        self._guard = threading.Lock()
        self._url_locks: dict[str, threading.Lock] = {}
        # Hosts that could not be reached, with why; not asked again in this build.
        self._unreachable: dict[str, str] = {}
        self._budget_end: float | None = None  # set by the first download of a build

    def begin_build(self) -> None:
        """A new build (under `serve`, one Fetcher serves many): a fresh budget, and the
        hosts that were unreachable are asked again."""
        with self._guard:
            self._budget_end = None
            self._unreachable.clear()

    # -- lifecycle ---------------------------------------------------------------------

    def close(self) -> None:
        """Close the pooled connections; the Fetcher cannot download afterwards."""
        with self._guard:
            self._closed = True
            client, self._client = self._client, None
        if client is not None:
            client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- public API --------------------------------------------------------------------

    def read(self, src: str, base_dir: Path) -> bytes:
        """The bytes of `src`: an http(s) URL, or a path relative to `base_dir`."""
        scheme = _scheme(src)
        if scheme is None:
            return self._read_local(src, base_dir)
        if scheme not in ALLOWED_SCHEMES:
            raise FetchError(
                f"refused: only http(s) URLs are fetched, not '{scheme}:'", "refused", url=src)
        if not urlsplit(src).hostname:
            raise FetchError(f"refused: the URL has no host: {src}", "refused", url=src)
        return self._read_url(src)

    def read_many(
        self,
        requests: list[tuple[str, Path]],
        workers: int = 8,
        reduce: Callable[[str, bytes], Any] | None = None,
        done: Callable[[int], None] | None = None,
    ) -> dict[str, Any]:
        """Read many sources concurrently, at most `workers` at a time, keyed by src.

        A failure is returned in place of the bytes rather than raised, so one broken
        screenshot does not hide the others. A relative src given with two different
        base directories would make the key ambiguous, so that is refused as a bug.
        `reduce(src, data)`, when given, runs in the reading thread and its result is kept
        instead of the bytes: however many sources there are, only a few are in memory.
        `done(1)` is called as each source is read (a progress bar's advance).
        """
        unique: dict[str, Path] = {}
        for src, base_dir in requests:
            known = unique.setdefault(src, base_dir)
            if _scheme(src) is None and known.resolve() != base_dir.resolve():
                raise ValueError(f"read_many: {src!r} is relative to both {known} and {base_dir}")
        if not unique:
            return {}

        def read(src: str, base_dir: Path) -> Any:
            got = self._read_or_error(src, base_dir)
            kept = got if reduce is None or isinstance(got, FetchError) else reduce(src, got)
            if done is not None:
                done(1)
            return kept

        with ThreadPoolExecutor(max_workers=max(1, min(workers, len(unique)))) as pool:
            futures = {src: pool.submit(read, src, d) for src, d in unique.items()}
            return {src: future.result() for src, future in futures.items()}

    def cached_download(self, url: str) -> Path | None:
        """The intact download cache entry of `url`, if there is one."""
        entry_key = key(DOWNLOADS, url)
        if not self.downloads.has(entry_key, "bin"):
            return None
        return self.downloads.path(entry_key, "bin")

    def cache_path(self, url: str) -> Path:
        """Where the download of `url` is kept: named by the URL's key, no index to lose."""
        return self.downloads.path(key(DOWNLOADS, url), "bin")

    # -- local files -------------------------------------------------------------------

    def local_file(self, src: str, base_dir: Path) -> Path:
        """The project file `src` names, checked as _read_local checks it; not read."""
        if Path(src).is_absolute() or Path(src).drive:
            raise FetchError(
                f"refused: absolute path {src} (write it relative to the guide)", "local")
        path = base_dir / src
        # Resolved once (planning asks this of every screenshot on every build), symlinks
        # followed: `assets/../../x` and a link pointing out of the project are outside.
        resolved = path.resolve()
        if not resolved.is_relative_to(self._root):
            raise FetchError(f"path escapes the project: {src}", "local")
        try:
            is_file = stat.S_ISREG(resolved.stat().st_mode)
        except FileNotFoundError:
            raise FetchError(_not_found(path, self.project_root), "local") from None
        if not is_file:
            raise FetchError(f"not a file: {src}", "local")
        return resolved

    def _read_local(self, src: str, base_dir: Path) -> bytes:
        """Read a project file in place; never follow a path or symlink out of the project."""
        return read_limited(self.local_file(src, base_dir), self.settings.max_bytes, src)

    # -- URLs --------------------------------------------------------------------------

    def _read_url(self, url: str) -> bytes:
        """Serve `url` from the cache, downloading it once (per URL, across threads).

        The cache is read under the URL's lock too, so a thread repairing a damaged entry
        never deletes the fresh copy another thread has just written.
        """
        with self._lock_for(url):
            cached = self._read_cache(url)
            if cached is not None:
                return cached
            if self.settings.offline:
                raise FetchError(f"offline: {url} is not in the download cache", "offline",
                                 _host(url), url)
            data = self._download(url)
            self._write_cache(url, data)
            return data

    def _lock_for(self, url: str) -> threading.Lock:
        """The lock for one URL; kept for the Fetcher's life, as there are few URLs."""
        with self._guard:
            return self._url_locks.setdefault(url, threading.Lock())

    def _read_cache(self, url: str) -> bytes | None:
        """The cached bytes, or None; a damaged entry is dropped so it gets fetched again."""
        return self.downloads.read(key(DOWNLOADS, url), "bin")

    def _write_cache(self, url: str, data: bytes) -> None:
        """Keep a download; a cache we cannot write costs time, not correctness."""
        try:
            self.downloads.put(key(DOWNLOADS, url), "bin", data, url=url)
        except OSError as exc:
            log.warning("cannot write the download cache for %s: %s", url, exc)

    def _download(self, url: str) -> bytes:
        """Download within the deadline and the build's budget; retry what may pass.

        Waits between attempts double from `backoff`, or are what the server asks for
        (Retry-After) when that still ends before the deadline.
        """
        s = self.settings
        host = _host(url)
        if (why := self._unreachable.get(host)) is not None:
            raise FetchError(
                f"cannot reach {host} ({why}, earlier in this build): not asked for {url}",
                "unreachable", host, url)
        now = time.monotonic()
        budget_end = self._start_budget(now)
        if now >= budget_end:
            raise FetchError(
                f"not downloaded: the {s.budget:g} s budget for this build's downloads ran "
                f"out before {url} (build again to go on: what was downloaded is kept)",
                "budget", host, url)
        end = min(now + s.deadline, budget_end)
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._download_once(url, end, budget_end)
            except _TransientError as exc:
                if attempt > s.retries:
                    suffix = f" (gave up after {attempt} attempts)" if s.retries else ""
                    raise FetchError(f"{exc}{suffix}", exc.cause, host, url) from exc
                wait = exc.retry_after if exc.retry_after is not None else s.backoff * 2 ** (
                    attempt - 1)
                if time.monotonic() + wait >= end:
                    raise FetchError(
                        f"{exc} (gave up: waiting {wait:g} s to retry would pass the "
                        f"{_ends(end, budget_end, s)})", exc.cause, host, url) from exc
                log.debug("retrying in %g s: %s", wait, exc)
                time.sleep(wait)
            except FetchError as exc:
                if exc.cause == "unreachable":
                    with self._guard:
                        self._unreachable.setdefault(exc.host or host, getattr(exc, "why", ""))
                raise

    def _start_budget(self, now: float) -> float:
        """When this build's downloads must end; the clock starts with the first one."""
        with self._guard:
            if self._budget_end is None:
                self._budget_end = now + self.settings.budget
            return self._budget_end

    def _download_once(self, url: str, end: float, budget_end: float) -> bytes:
        """One GET, streamed so the size limit holds whatever the server claims, and cut
        off at `end` (monotonic time) whatever the server does."""
        import httpx

        s = self.settings
        host = _host(url)
        remaining = end - time.monotonic()
        if remaining <= 0:
            raise FetchError(f"{_ends(end, budget_end, s)} passed before {url} arrived",
                             "budget" if end >= budget_end else "timeout", host, url)
        timeout = httpx.Timeout(
            connect=min(s.timeout_connect, remaining),
            read=min(s.timeout_read, remaining),
            write=min(s.timeout_read, remaining),
            pool=min(s.timeout_read, remaining),
        )
        cutoff = _Cutoff(remaining)
        try:
            with cutoff, self._http().stream(
                "GET", url, timeout=timeout, extensions={"trace": cutoff.trace}
            ) as response:
                cutoff.watch(response.extensions.get("network_stream"))
                _check_status(response, url)
                _check_content_type(response, url)
                data = _read_body(response, url, s.max_bytes, cutoff)
            if cutoff.fired:  # a body without length ends when the socket is shut: cut short
                raise cutoff.error(url, end, budget_end, s)
            return data
        except _SchemeRefused as exc:
            raise FetchError(
                f"refused: {url} redirects to a '{exc.scheme}:' URL; only http(s) is fetched",
                "refused", host, url) from exc
        except FetchError:
            if cutoff.fired:
                raise cutoff.error(url, end, budget_end, s) from None
            raise
        except httpx.TooManyRedirects as exc:
            raise FetchError(
                f"more than {s.max_redirects} redirects (a redirect loop?) for {url}",
                "response", host, url) from exc
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            if cutoff.fired:
                raise cutoff.error(url, end, budget_end, s) from None
            failed = exc.request.url.host if exc.request else host
            why = (f"no answer within {timeout.connect:g} s"
                   if isinstance(exc, httpx.ConnectTimeout) else _reason(exc))
            error = FetchError(
                f"cannot reach {failed} ({why}) for {url}; not asked again in this build",
                "unreachable", failed, url)
            error.why = why  # what later URLs of the host are told
            raise error from exc
        except httpx.TimeoutException as exc:
            if cutoff.fired:
                raise cutoff.error(url, end, budget_end, s) from None
            raise FetchError(
                f"no data for {timeout.read:g} s (read timeout) from {url}", "timeout", host,
                url) from exc
        except (httpx.UnsupportedProtocol, httpx.LocalProtocolError, httpx.InvalidURL) as exc:
            raise FetchError(f"cannot fetch {url}: {exc}", "refused", host, url) from exc
        except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            if cutoff.fired:
                raise cutoff.error(url, end, budget_end, s) from None
            raise _TransientError(
                f"connection lost for {url}: {_reason(exc)}", "reset", host, url) from exc
        except httpx.HTTPError as exc:  # e.g. a body that does not decode as its gzip label
            if cutoff.fired:
                raise cutoff.error(url, end, budget_end, s) from None
            raise FetchError(f"cannot fetch {url}: {_reason(exc)}", "response", host,
                             url) from exc

    def _http(self) -> httpx.Client:
        """The shared client, made on first download so offline builds never make one."""
        import httpx

        with self._guard:
            if self._closed:
                raise RuntimeError("Fetcher is closed")
            if self._client is None:
                s = self.settings
                self._client = httpx.Client(
                    timeout=httpx.Timeout(
                        connect=s.timeout_connect,
                        read=s.timeout_read,
                        write=s.timeout_read,
                        pool=s.timeout_read,
                    ),
                    follow_redirects=True,
                    max_redirects=s.max_redirects,
                    headers={"User-Agent": f"guidesmith/{__version__}"},
                    event_hooks={"request": [_refuse_other_schemes]},
                )
            return self._client

    def _read_or_error(self, src: str, base_dir: Path) -> bytes | FetchError:
        """read() for a pool worker: an expected failure becomes the result."""
        try:
            return self.read(src, base_dir)
        except FetchError as exc:
            return exc


# -- helpers, pure apart from the response they read -------------------------------------


def _scheme(src: str) -> str | None:
    """The URL scheme of `src`, lower-cased, or None for a path.

    A one-letter "scheme" is a Windows drive (`C:\\shots\\a.png`), so a path.
    """
    scheme = urlsplit(src).scheme.lower()
    return scheme if len(scheme) > 1 else None


def _refuse_other_schemes(request: httpx.Request) -> None:
    """Request hook: a redirect must not lead out of http(s) (to file:, ftp:, ...)."""
    if request.url.scheme not in ALLOWED_SCHEMES:
        raise _SchemeRefused(request.url.scheme)


def _host(url: str) -> str:
    """The host a URL names, as the author would write it (lower case, no port)."""
    return (urlsplit(url).hostname or "").lower()


def _ends(end: float, budget_end: float, s: FetchSettings) -> str:
    """Which limit `end` is: the download's deadline, or the build's budget."""
    if end >= budget_end:
        return f"{s.budget:g} s budget for this build's downloads"
    return f"{s.deadline:g} s deadline"


class _Cutoff:
    """Ends a download at its deadline, whatever the server does (a drip of bytes, an
    endless body, headers and then silence): a timer shuts the connection's socket, which
    wakes the blocked read. httpx has read timeouts, not a total one.

    The socket is learnt as the connection is made (httpcore's trace extension), or from
    the response when a pooled connection is reused.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.fired = False
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def __enter__(self) -> _Cutoff:
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()

    def trace(self, event: str, info: dict[str, Any]) -> None:
        if event in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            self.watch(info.get("return_value"))

    def watch(self, stream: Any) -> None:
        """Shut this stream's socket at the deadline (at once if it has passed)."""
        sock = stream.get_extra_info("socket") if stream is not None else None
        if not isinstance(sock, socket.socket):
            return
        with self._lock:
            self._sockets.append(sock)
            fired = self.fired
        if fired:
            _shut(sock)

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)

    def error(self, url: str, end: float, budget_end: float, s: FetchSettings) -> FetchError:
        cause = "budget" if end >= budget_end else "timeout"
        return FetchError(f"{url} did not arrive within the {_ends(end, budget_end, s)}",
                          cause, _host(url), url)


def _shut(sock: socket.socket) -> None:
    """Wake any thread blocked reading `sock`: shutdown does, close alone may not."""
    with contextlib.suppress(OSError):  # already closed
        sock.shutdown(socket.SHUT_RDWR)


def _check_status(response: httpx.Response, url: str) -> None:
    """Fail on any non-2xx; 5xx and 429 may pass on a later attempt, 4xx will not."""
    if response.is_success:
        return
    import httpx

    # The standard phrase, not the server's spelling ("NOT FOUND", "" over HTTP/2).
    phrase = httpx.codes.get_reason_phrase(response.status_code) or response.reason_phrase
    message = f"HTTP {response.status_code} {phrase}".rstrip() + f" for {url}"
    if response.status_code in RETRY_STATUSES:
        error = _TransientError(message, "http", _host(url), url)
        error.retry_after = _retry_after(response.headers.get("Retry-After"))
        raise error
    raise FetchError(message, "http", _host(url), url)


def _retry_after(value: str | None) -> float | None:
    """Retry-After in seconds: a number, or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _check_content_type(response: httpx.Response, url: str) -> None:
    """Refuse a labelled non-image before reading its body; no label is given the benefit."""
    header = response.headers.get("Content-Type")
    if not header:
        return
    media_type = header.split(";", 1)[0].strip().lower()
    if not media_type.startswith(IMAGE_TYPES):
        raise FetchError(f"not an image (Content-Type {media_type}) for {url}", "response",
                         _host(url), url)


def _read_body(response: httpx.Response, url: str, limit: int, cutoff: _Cutoff) -> bytes:
    """The body, abandoned as soon as it passes `limit` bytes (decoded, so gzip counts)
    or the cutoff fires."""
    too_large = f"response larger than the {_size(limit)} limit for {url}"
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise FetchError(too_large, "response", _host(url), url)
    chunks: list[bytes] = []
    total = 0
    for chunk in response.iter_bytes(chunk_size=64 * 1024):
        total += len(chunk)
        if total > limit:
            raise FetchError(too_large, "response", _host(url), url)
        if cutoff.fired:
            break  # the caller reports the deadline
        chunks.append(chunk)
    return b"".join(chunks)


def _reason(exc: httpx.HTTPError) -> str:
    """httpx messages are sometimes empty; fall back on the exception's name."""
    return str(exc).strip() or type(exc).__name__


def _not_found(path: Path, root: Path) -> str:
    """"local file not found", with the path from the project root and, when a file of a
    near name is there, that name: a typo is the usual reason."""
    path = path.resolve()
    shown = Path(os.path.relpath(path, root.resolve())).as_posix()
    message = f"local file not found: {shown}"
    folder = path.parent
    try:
        names = [p.name for p in folder.iterdir() if p.is_file()] if folder.is_dir() else []
    except OSError:
        names = []
    # Names that differ only in their digits are other steps' screenshots (02.png is not a
    # typo of 01.png): never suggested.
    digitless = re.sub(r"\d", "", path.name)
    names = [n for n in names if re.sub(r"\d", "", n) != digitless]
    near = difflib.get_close_matches(path.name, names, n=1, cutoff=0.8)
    return f"{message}; did you mean {near[0]}?" if near else message


def read_limited(path: Path, limit: int, src: str) -> bytes:
    """A local file's bytes, refused past `limit` (a screenshot is not gigabytes)."""
    with path.open("rb") as f:
        data = f.read(limit + 1)  # one byte more tells "at the limit" from "over it"
    if len(data) > limit:
        raise FetchError(f"local file larger than the {_size(limit)} limit: {src}", "local")
    return data


def _size(n: int) -> str:
    """`50 MB` for the default limit, plain bytes for the small limits tests use."""
    mib = 1024 * 1024
    if n >= mib and n % mib == 0:
        return f"{n // mib} MB"
    return f"{n} bytes"
