"""The only network code: read a step's image source, local or http(s), within limits.

Downloads are kept in a content-checked cache so a build fetches each URL once, ever, and
so `offline=True` can rebuild a site without opening a single socket. Local files are read
in place and must stay inside the project.
"""

from __future__ import annotations

import logging
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
from generator.fsutil import inside

if TYPE_CHECKING:  # httpx is imported on the first download: offline builds never need it
    import httpx

log = logging.getLogger(__name__)

ALLOWED_SCHEMES = frozenset({"http", "https"})
# Servers label screenshots loosely; anything else (an HTML login page, a JSON error) is
# a wrong URL that would otherwise surface later as a confusing Pillow error.
IMAGE_TYPES = ("image/", "application/octet-stream", "binary/octet-stream")
RETRY_STATUSES = frozenset({429}) | frozenset(range(500, 600))


class FetchError(Exception):
    """An image source that cannot be read; the message is one line, for the author."""


class _TransientError(FetchError):
    """A failure worth retrying: the next attempt may well succeed."""


class _SchemeRefused(Exception):
    """Raised from the client's request hook when a redirect leaves http(s)."""

    def __init__(self, scheme: str) -> None:
        super().__init__(scheme)
        self.scheme = scheme


@dataclass
class FetchSettings:
    """Limits for downloads; the defaults suit screenshots on an ordinary connection."""

    timeout_connect: float = 5.0
    timeout_read: float = 15.0
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
        self.settings = settings if settings is not None else FetchSettings()
        self.downloads = Store.of(cache_root, DOWNLOADS)
        self._client: httpx.Client | None = None
        self._closed = False
        self._guard = threading.Lock()
        self._url_locks: dict[str, threading.Lock] = {}

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
            raise FetchError(f"refused: only http(s) URLs are fetched, not '{scheme}:'")
        if not urlsplit(src).hostname:
            raise FetchError(f"refused: the URL has no host: {src}")
        return self._read_url(src)

    def read_many(
        self,
        requests: list[tuple[str, Path]],
        workers: int = 8,
        reduce: Callable[[str, bytes], Any] | None = None,
    ) -> dict[str, Any]:
        """Read many sources concurrently, at most `workers` at a time, keyed by src.

        A failure is returned in place of the bytes rather than raised, so one broken
        screenshot does not hide the others. A relative src given with two different
        base directories would make the key ambiguous, so that is refused as a bug.
        `reduce(src, data)`, when given, runs in the reading thread and its result is kept
        instead of the bytes: however many sources there are, only a few are in memory.
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
            return got if reduce is None or isinstance(got, FetchError) else reduce(src, got)

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
            raise FetchError(f"refused: absolute path {src} (write it relative to the guide)")
        path = base_dir / src
        if not inside(path, self.project_root):
            raise FetchError(f"path escapes the project: {src}")
        resolved = path.resolve()
        if not resolved.exists():
            raise FetchError(f"local file not found: {src}")
        if not resolved.is_file():
            raise FetchError(f"not a file: {src}")
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
                raise FetchError(f"offline: {url} is not in the download cache")
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
        """Download with retries on transient failures, backing off exponentially."""
        retries = self.settings.retries
        for attempt in range(retries):
            try:
                return self._download_once(url)
            except _TransientError as exc:
                delay = self.settings.backoff * 2**attempt
                log.debug("retrying in %g s: %s", delay, exc)
                time.sleep(delay)
        try:
            return self._download_once(url)
        except _TransientError as exc:
            suffix = f" (gave up after {retries + 1} attempts)" if retries else ""
            raise FetchError(f"{exc}{suffix}") from exc

    def _download_once(self, url: str) -> bytes:
        """One GET, streamed so the size limit holds whatever the server claims."""
        import httpx

        try:
            with self._http().stream("GET", url) as response:
                _check_status(response, url)
                _check_content_type(response, url)
                return _read_body(response, url, self.settings.max_bytes)
        except _SchemeRefused as exc:
            raise FetchError(
                f"refused: {url} redirects to a '{exc.scheme}:' URL; only http(s) is fetched"
            ) from exc
        except httpx.TooManyRedirects as exc:
            raise FetchError(
                f"more than {self.settings.max_redirects} redirects (a redirect loop?) for {url}"
            ) from exc
        except httpx.ConnectTimeout as exc:
            raise _TransientError(
                f"connection timed out after {self.settings.timeout_connect:g} s for {url}"
            ) from exc
        except httpx.ReadTimeout as exc:
            raise _TransientError(
                f"no data for {self.settings.timeout_read:g} s (read timeout) from {url}"
            ) from exc
        except (httpx.UnsupportedProtocol, httpx.LocalProtocolError, httpx.InvalidURL) as exc:
            raise FetchError(f"cannot fetch {url}: {exc}") from exc
        except httpx.TransportError as exc:
            raise _TransientError(f"connection failed for {url}: {_reason(exc)}") from exc
        except httpx.HTTPError as exc:  # e.g. a body that does not decode as its gzip label
            raise FetchError(f"cannot fetch {url}: {_reason(exc)}") from exc

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


def _check_status(response: httpx.Response, url: str) -> None:
    """Fail on any non-2xx; 5xx and 429 may pass on a later attempt, 4xx will not."""
    if response.is_success:
        return
    import httpx

    # The standard phrase, not the server's spelling ("NOT FOUND", "" over HTTP/2).
    phrase = httpx.codes.get_reason_phrase(response.status_code) or response.reason_phrase
    message = f"HTTP {response.status_code} {phrase}".rstrip() + f" for {url}"
    if response.status_code in RETRY_STATUSES:
        raise _TransientError(message)
    raise FetchError(message)


def _check_content_type(response: httpx.Response, url: str) -> None:
    """Refuse a labelled non-image before reading its body; no label is given the benefit."""
    header = response.headers.get("Content-Type")
    if not header:
        return
    media_type = header.split(";", 1)[0].strip().lower()
    if not media_type.startswith(IMAGE_TYPES):
        raise FetchError(f"not an image (Content-Type {media_type}) for {url}")


def _read_body(response: httpx.Response, url: str, limit: int) -> bytes:
    """The body, abandoned as soon as it passes `limit` bytes (decoded, so gzip counts)."""
    too_large = f"response larger than the {_size(limit)} limit for {url}"
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise FetchError(too_large)
    chunks: list[bytes] = []
    total = 0
    for chunk in response.iter_bytes(chunk_size=64 * 1024):
        total += len(chunk)
        if total > limit:
            raise FetchError(too_large)
        chunks.append(chunk)
    return b"".join(chunks)


def _reason(exc: httpx.HTTPError) -> str:
    """httpx messages are sometimes empty; fall back on the exception's name."""
    return str(exc).strip() or type(exc).__name__


def read_limited(path: Path, limit: int, src: str) -> bytes:
    """A local file's bytes, refused past `limit` (a screenshot is not gigabytes)."""
    with path.open("rb") as f:
        data = f.read(limit + 1)  # one byte more tells "at the limit" from "over it"
    if len(data) > limit:
        raise FetchError(f"local file larger than the {_size(limit)} limit: {src}")
    return data


def _size(n: int) -> str:
    """`50 MB` for the default limit, plain bytes for the small limits tests use."""
    mib = 1024 * 1024
    if n >= mib and n % mib == 0:
        return f"{n // mib} MB"
    return f"{n} bytes"
