"""fetch: http(s) and local reads, limits, retries, the download cache and offline mode.

Every server here is pytest-httpserver on loopback; nothing leaves the machine.
"""

from __future__ import annotations

import contextlib
import email.utils
import io
import pickle
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from generator import __version__
from generator.fetch import Fetcher, FetchError, FetchSettings

MakeFetcher = Callable[..., Fetcher]


# -- fixtures ------------------------------------------------------------------------------


@pytest.fixture
def png() -> bytes:
    """A small real PNG, so the bytes are what a screenshot server would send."""
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), (251, 146, 60)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def project(tmp_path: Path, png: bytes) -> Path:
    """A project with guides/assets/shot.png; guides/ is the base dir of its YAML files."""
    root = tmp_path / "project"
    (root / "guides" / "assets").mkdir(parents=True)
    (root / "guides" / "assets" / "shot.png").write_bytes(png)
    return root


@pytest.fixture
def cache_root(project: Path) -> Path:
    return project / ".cache" / "guidesmith"


@pytest.fixture
def make_fetcher(project: Path, cache_root: Path) -> Iterator[MakeFetcher]:
    """Build Fetchers with test-sized settings; all are closed after the test."""
    made: list[Fetcher] = []

    def make(**overrides: object) -> Fetcher:
        settings = FetchSettings(**{"backoff": 0.01, **overrides})  # type: ignore[arg-type]
        fetcher = Fetcher(cache_root, project, settings)
        made.append(fetcher)
        return fetcher

    yield make
    for fetcher in made:
        fetcher.close()


@pytest.fixture
def no_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any outgoing connection fail loudly, to prove code paths never open one."""

    def refuse(self: socket.socket, address: object) -> None:
        raise AssertionError(f"a socket was opened to {address}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)


def guides(project: Path) -> Path:
    return project / "guides"


def serve_png(httpserver: HTTPServer, path: str, png: bytes) -> str:
    httpserver.expect_request(path).respond_with_data(png, content_type="image/png")
    return httpserver.url_for(path)


# -- downloads and the cache ---------------------------------------------------------------


def test_download_is_cached_and_served_offline_later(
    httpserver: HTTPServer, make_fetcher: MakeFetcher, project: Path, png: bytes
) -> None:
    url = serve_png(httpserver, "/shot.png", png)
    fetcher = make_fetcher()

    assert fetcher.read(url, guides(project)) == png
    assert fetcher.read(url, guides(project)) == png
    assert len(httpserver.log) == 1
    request, _ = httpserver.log[0]
    assert request.headers["User-Agent"] == f"guidesmith/{__version__}"

    offline = make_fetcher(offline=True)
    assert offline.read(url, guides(project)) == png
    assert len(httpserver.log) == 1


def test_cache_entry_is_named_by_the_url_hash(
    httpserver: HTTPServer, make_fetcher: MakeFetcher, project: Path, cache_root: Path, png: bytes
) -> None:
    url = serve_png(httpserver, "/shot.png", png)
    fetcher = make_fetcher()
    fetcher.read(url, guides(project))

    path = fetcher.cache_path(url)
    assert path.parent.parent == cache_root / "downloads"
    assert path.parent.name == path.name[:2]
    assert len(path.stem) == 64 and path.suffix == ".bin"
    assert path.read_bytes() == png
    # The entry and its checksum beside it; no temp files left.
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name, f"{path.stem}.json"]


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda entry: b"garbage", id="garbage"),
        pytest.param(lambda entry: entry[:-10], id="truncated"),
        pytest.param(lambda entry: entry[:-1] + bytes([entry[-1] ^ 1]), id="bit-flipped"),
        pytest.param(lambda entry: b"", id="empty"),
    ],
)
def test_damaged_cache_entry_is_detected_and_downloaded_again(
    httpserver: HTTPServer,
    make_fetcher: MakeFetcher,
    project: Path,
    png: bytes,
    damage: Callable[[bytes], bytes],
) -> None:
    url = serve_png(httpserver, "/shot.png", png)
    fetcher = make_fetcher()
    fetcher.read(url, guides(project))
    entry = fetcher.cache_path(url)
    entry.write_bytes(damage(entry.read_bytes()))

    assert make_fetcher().read(url, guides(project)) == png
    assert len(httpserver.log) == 2
    assert make_fetcher(offline=True).read(url, guides(project)) == png


def test_damaged_cache_entry_offline_is_removed_and_reported(
    httpserver: HTTPServer, make_fetcher: MakeFetcher, project: Path, png: bytes
) -> None:
    url = serve_png(httpserver, "/shot.png", png)
    fetcher = make_fetcher()
    fetcher.read(url, guides(project))
    entry = fetcher.cache_path(url)
    entry.write_bytes(b"garbage")

    with pytest.raises(FetchError) as err:
        make_fetcher(offline=True).read(url, guides(project))

    assert str(err.value) == f"offline: {url} is not in the download cache"
    assert not entry.exists()


def test_offline_never_opens_a_socket(
    httpserver: HTTPServer, make_fetcher: MakeFetcher, project: Path, no_sockets: None
) -> None:
    url = httpserver.url_for("/never.png")

    with pytest.raises(FetchError) as err:
        make_fetcher(offline=True).read(url, guides(project))

    assert str(err.value) == f"offline: {url} is not in the download cache"
    assert httpserver.log == []


def test_concurrent_reads_of_one_url_download_it_once(
    httpserver: HTTPServer, make_fetcher: MakeFetcher, project: Path, png: bytes
) -> None:
    def slow(request: Request) -> Response:
        time.sleep(0.2)  # long enough that every thread asks while the first one waits
        return Response(png, content_type="image/png")

    httpserver.expect_request("/slow.png").respond_with_handler(slow)
    url = httpserver.url_for("/slow.png")
    fetcher = make_fetcher()

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: fetcher.read(url, guides(project)), range(8)))

    assert results == [png] * 8
    assert len(httpserver.log) == 1


def test_read_many_returns_bytes_or_errors_keyed_by_src(
    httpserver: HTTPServer, make_fetcher: MakeFetcher, project: Path, png: bytes
) -> None:
    ok = serve_png(httpserver, "/ok.png", png)
    httpserver.expect_request("/gone.png").respond_with_data("gone", status=404)
    gone = httpserver.url_for("/gone.png")
    base = guides(project)

    results = make_fetcher().read_many(
        [(ok, base), (gone, base), ("assets/shot.png", base), ("assets/nope.png", base), (ok, base)]
    )

    assert list(results) == [ok, gone, "assets/shot.png", "assets/nope.png"]
    assert results[ok] == png
    assert results["assets/shot.png"] == png
    assert str(results[gone]) == f"HTTP 404 Not Found for {gone}"
    assert str(results["assets/nope.png"]) == "local file not found: guides/assets/nope.png"
    assert len(httpserver.log) == 2


def test_read_many_refuses_a_relative_src_with_two_base_dirs(
    make_fetcher: MakeFetcher, project: Path
) -> None:
    with pytest.raises(ValueError) as err:
        make_fetcher().read_many(
            [("assets/shot.png", guides(project)), ("assets/shot.png", project)]
        )

    assert str(err.value) == (
        f"read_many: 'assets/shot.png' is relative to both {guides(project)} and {project}"
    )


def test_read_many_of_nothing(make_fetcher: MakeFetcher) -> None:
    assert make_fetcher().read_many([]) == {}


def test_context_manager_closes_the_client(
    httpserver: HTTPServer, project: Path, cache_root: Path, png: bytes
) -> None:
    url = serve_png(httpserver, "/shot.png", png)
    with Fetcher(cache_root, project, FetchSettings()) as fetcher:
        assert fetcher.read(url, guides(project)) == png

    with pytest.raises(RuntimeError, match="Fetcher is closed"):
        fetcher.read(httpserver.url_for("/other.png"), guides(project))
    assert fetcher.read(url, guides(project)) == png  # the cache still answers


# -- HTTP failures, retries and limits -----------------------------------------------------


def test_404_is_reported_and_not_retried(
    httpserver: HTTPServer, make_fetcher: MakeFetcher, project: Path
) -> None:
    httpserver.expect_request("/missing.png").respond_with_data("nope", status=404)
    url = httpserver.url_for("/missing.png")

    with pytest.raises(FetchError) as err:
        make_fetcher().read(url, guides(project))

    assert str(err.value) == f"HTTP 404 Not Found for {url}"
    assert len(httpserver.log) == 1


@pytest.mark.parametrize("status", [500, 503, 429])
def test_transient_status_is_retried_until_success(
    httpserver: HTTPServer, make_fetcher: MakeFetcher, project: Path, png: bytes, status: int
) -> None:
    httpserver.expect_oneshot_request("/flaky.png").respond_with_data("busy", status=status)
    url = serve_png(httpserver, "/flaky.png", png)

    assert make_fetcher().read(url, guides(project)) == png
    assert len(httpserver.log) == 2


def test_transient_status_gives_up_after_the_retries(
    httpserver: HTTPServer, make_fetcher: MakeFetcher, project: Path
) -> None:
    httpserver.expect_request("/down.png").respond_with_data("down", status=503)
    url = httpserver.url_for("/down.png")

    with pytest.raises(FetchError) as err:
        make_fetcher(retries=2).read(url, guides(project))

    assert str(err.value) == f"HTTP 503 Service Unavailable for {url} (gave up after 3 attempts)"
    assert len(httpserver.log) == 3


def test_backoff_doubles_between_attempts(
    httpserver: HTTPServer,
    make_fetcher: MakeFetcher,
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    httpserver.expect_request("/down.png").respond_with_data("down", status=500)
    sleeps: list[float] = []
    monkeypatch.setattr("generator.fetch.time.sleep", sleeps.append)

    with pytest.raises(FetchError):
        make_fetcher(retries=3, backoff=0.5).read(httpserver.url_for("/down.png"), project)

    assert sleeps == [0.5, 1.0, 2.0]


def test_read_timeout_is_reported_in_bounded_time(
    httpserver: HTTPServer, make_fetcher: MakeFetcher, project: Path
) -> None:
    release = threading.Event()

    def stall(request: Request) -> Response:
        release.wait(timeout=10)
        return Response(b"late", content_type="image/png")

    httpserver.expect_request("/stall.png").respond_with_handler(stall)
    url = httpserver.url_for("/stall.png")
    started = time.monotonic()
    try:
        with pytest.raises(FetchError) as err:
            make_fetcher(timeout_read=0.3, retries=0).read(url, guides(project))
    finally:
        release.set()

    assert str(err.value) == f"no data for 0.3 s (read timeout) from {url}"
    assert time.monotonic() - started < 3


def test_declared_content_length_over_the_limit_is_refused(
    httpserver: HTTPServer, make_fetcher: MakeFetcher, project: Path
) -> None:
    httpserver.expect_request("/big.png").respond_with_data(b"x" * 2000, content_type="image/png")
    url = httpserver.url_for("/big.png")

    with pytest.raises(FetchError) as err:
        make_fetcher(max_bytes=1000).read(url, guides(project))

    assert str(err.value) == f"response larger than the 1000 bytes limit for {url}"


def test_streamed_body_over_the_limit_is_abandoned_early(
    httpserver: HTTPServer, make_fetcher: MakeFetcher, project: Path
) -> None:
    chunk, chunks = b"x" * 1000, 100_000  # 100 MB offered, 1000 bytes allowed
    sent = 0

    def endless(request: Request) -> Response:
        def body() -> Iterator[bytes]:
            nonlocal sent
            for _ in range(chunks):
                sent += 1
                yield chunk

        return Response(body(), content_type="image/png")  # no Content-Length

    httpserver.expect_request("/endless.png").respond_with_handler(endless)
    url = httpserver.url_for("/endless.png")

    with pytest.raises(FetchError) as err:
        make_fetcher(max_bytes=1000).read(url, guides(project))

    assert str(err.value) == f"response larger than the 1000 bytes limit for {url}"
    assert "Content-Length" not in httpserver.log[0][1].headers
    assert sent < chunks  # the server could not push it all: the client hung up


def test_exactly_max_bytes_is_accepted(
    httpserver: HTTPServer, make_fetcher: MakeFetcher, project: Path
) -> None:
    httpserver.expect_request("/edge.png").respond_with_data(b"x" * 1000, content_type="image/png")

    data = make_fetcher(max_bytes=1000).read(httpserver.url_for("/edge.png"), guides(project))

    assert data == b"x" * 1000


def test_non_image_content_type_is_refused(
    httpserver: HTTPServer, make_fetcher: MakeFetcher, project: Path
) -> None:
    httpserver.expect_request("/login").respond_with_data(
        "<html>sign in</html>", content_type="text/html; charset=utf-8"
    )
    url = httpserver.url_for("/login")

    with pytest.raises(FetchError) as err:
        make_fetcher().read(url, guides(project))

    assert str(err.value) == f"not an image (Content-Type text/html) for {url}"


@pytest.mark.parametrize(
    "content_type", ["image/png", "IMAGE/JPEG", "application/octet-stream", "binary/octet-stream"]
)
def test_image_and_octet_stream_types_are_accepted(
    httpserver: HTTPServer, make_fetcher: MakeFetcher, project: Path, png: bytes, content_type: str
) -> None:
    httpserver.expect_request("/shot").respond_with_data(png, content_type=content_type)

    assert make_fetcher().read(httpserver.url_for("/shot"), guides(project)) == png


def test_missing_content_type_is_accepted(
    httpserver: HTTPServer, make_fetcher: MakeFetcher, project: Path, png: bytes
) -> None:
    def unlabelled(request: Request) -> Response:
        response = Response(png)
        del response.headers["Content-Type"]
        return response

    httpserver.expect_request("/shot").respond_with_handler(unlabelled)

    assert make_fetcher().read(httpserver.url_for("/shot"), guides(project)) == png
    assert "Content-Type" not in httpserver.log[0][1].headers


def test_undecodable_body_is_reported(
    httpserver: HTTPServer, make_fetcher: MakeFetcher, project: Path
) -> None:
    httpserver.expect_request("/shot.png").respond_with_data(
        b"not gzip at all", content_type="image/png", headers={"Content-Encoding": "gzip"}
    )
    url = httpserver.url_for("/shot.png")

    with pytest.raises(FetchError) as err:
        make_fetcher().read(url, guides(project))

    assert str(err.value).startswith(f"cannot fetch {url}: ")
    assert len(httpserver.log) == 1


def test_redirect_is_followed_and_cached_under_the_original_url(
    httpserver: HTTPServer, make_fetcher: MakeFetcher, project: Path, png: bytes
) -> None:
    httpserver.expect_request("/old.png").respond_with_data(
        "", status=301, headers={"Location": "/new.png"}
    )
    serve_png(httpserver, "/new.png", png)
    url = httpserver.url_for("/old.png")

    assert make_fetcher().read(url, guides(project)) == png
    assert make_fetcher(offline=True).read(url, guides(project)) == png


def test_redirect_loop_is_reported(
    httpserver: HTTPServer, make_fetcher: MakeFetcher, project: Path
) -> None:
    httpserver.expect_request("/loop.png").respond_with_data(
        "", status=302, headers={"Location": "/loop.png"}
    )
    url = httpserver.url_for("/loop.png")

    with pytest.raises(FetchError) as err:
        make_fetcher(max_redirects=5).read(url, guides(project))

    assert str(err.value) == f"more than 5 redirects (a redirect loop?) for {url}"
    assert len(httpserver.log) == 6  # the first request and five redirects, not retried


def test_redirect_out_of_http_is_refused(
    httpserver: HTTPServer, make_fetcher: MakeFetcher, project: Path
) -> None:
    httpserver.expect_request("/sneaky.png").respond_with_data(
        "", status=302, headers={"Location": "file:///etc/passwd"}
    )
    url = httpserver.url_for("/sneaky.png")

    with pytest.raises(FetchError) as err:
        make_fetcher().read(url, guides(project))

    assert str(err.value) == f"refused: {url} redirects to a 'file:' URL; only http(s) is fetched"
    assert len(httpserver.log) == 1


@pytest.mark.parametrize(
    ("src", "scheme"),
    [
        ("file:///etc/passwd", "file"),
        ("FILE:///etc/passwd", "file"),
        ("ftp://example.com/shot.png", "ftp"),
        ("data:image/png;base64,iVBORw0KGgo=", "data"),
        ("javascript:alert(1)", "javascript"),
        ("builtin:circle#FB923C", "builtin"),
    ],
)
def test_other_schemes_are_refused_without_a_request(
    make_fetcher: MakeFetcher, project: Path, no_sockets: None, src: str, scheme: str
) -> None:
    with pytest.raises(FetchError) as err:
        make_fetcher().read(src, guides(project))

    assert str(err.value) == f"refused: only http(s) URLs are fetched, not '{scheme}:'"


def test_url_without_a_host_is_refused(
    make_fetcher: MakeFetcher, project: Path, no_sockets: None
) -> None:
    with pytest.raises(FetchError) as err:
        make_fetcher().read("https:///shot.png", guides(project))

    assert str(err.value) == "refused: the URL has no host: https:///shot.png"


# -- local files ---------------------------------------------------------------------------


def test_local_relative_path_is_read_in_place(
    make_fetcher: MakeFetcher, project: Path, cache_root: Path, png: bytes, no_sockets: None
) -> None:
    assert make_fetcher().read("assets/shot.png", guides(project)) == png
    assert make_fetcher(offline=True).read("./assets/shot.png", guides(project)) == png
    assert not cache_root.exists()  # local files are not copied into the cache


def test_local_path_may_climb_within_the_project(
    make_fetcher: MakeFetcher, project: Path, png: bytes
) -> None:
    base = guides(project) / "sub"
    base.mkdir()

    assert make_fetcher().read("../assets/shot.png", base) == png


@pytest.mark.parametrize(
    ("src", "message"),
    [
        ("assets/missing.png", "local file not found: guides/assets/missing.png"),
        ("../../etc/passwd", "path escapes the project: ../../etc/passwd"),
        ("assets/../../../outside.png", "path escapes the project: assets/../../../outside.png"),
        ("/etc/passwd", "refused: absolute path /etc/passwd (write it relative to the guide)"),
        ("assets", "not a file: assets"),
    ],
)
def test_bad_local_paths_are_refused(
    make_fetcher: MakeFetcher, project: Path, src: str, message: str
) -> None:
    (project.parent / "outside.png").write_bytes(b"not yours")

    with pytest.raises(FetchError) as err:
        make_fetcher().read(src, guides(project))

    assert str(err.value) == message


def test_absolute_path_inside_the_project_is_refused_too(
    make_fetcher: MakeFetcher, project: Path
) -> None:
    src = str(guides(project) / "assets" / "shot.png")

    with pytest.raises(FetchError) as err:
        make_fetcher().read(src, guides(project))

    assert str(err.value) == f"refused: absolute path {src} (write it relative to the guide)"


def test_symlink_pointing_out_of_the_project_is_refused(
    make_fetcher: MakeFetcher, project: Path
) -> None:
    secret = project.parent / "secret.png"
    secret.write_bytes(b"secret")
    (guides(project) / "assets" / "link.png").symlink_to(secret)

    with pytest.raises(FetchError) as err:
        make_fetcher().read("assets/link.png", guides(project))

    assert str(err.value) == "path escapes the project: assets/link.png"


def test_local_file_over_the_limit_is_refused(make_fetcher: MakeFetcher, project: Path) -> None:
    (guides(project) / "assets" / "huge.png").write_bytes(b"x" * 1001)
    (guides(project) / "assets" / "edge.png").write_bytes(b"x" * 1000)
    fetcher = make_fetcher(max_bytes=1000)

    with pytest.raises(FetchError) as err:
        fetcher.read("assets/huge.png", guides(project))

    assert str(err.value) == "local file larger than the 1000 bytes limit: assets/huge.png"
    assert fetcher.read("assets/edge.png", guides(project)) == b"x" * 1000


def test_default_limit_is_spelled_in_megabytes(
    httpserver: HTTPServer, make_fetcher: MakeFetcher, project: Path
) -> None:
    def claims_60_mb(request: Request) -> Response:
        response = Response(iter([b"x"]), content_type="image/png")
        response.headers["Content-Length"] = str(60 * 1024 * 1024)
        return response

    httpserver.expect_request("/huge.png").respond_with_handler(claims_60_mb)
    url = httpserver.url_for("/huge.png")

    with pytest.raises(FetchError) as err:
        make_fetcher().read(url, guides(project))

    assert str(err.value) == f"response larger than the 50 MB limit for {url}"


# -- faults: every misbehaviour ends, clearly, within a bounded time ------------------------
#
# Each test below times its fault: `bounded(seconds)` fails the test if the fault took
# longer (a generous bound: the deadline or timeout it sets, plus slack for a busy machine).


@pytest.fixture
def bounded() -> Callable[[float], Any]:
    @contextlib.contextmanager
    def within(seconds: float) -> Iterator[None]:
        started = time.monotonic()
        yield
        took = time.monotonic() - started
        assert took < seconds, f"took {took:.2f} s, more than {seconds} s"

    return within


@pytest.fixture
def released() -> Iterator[threading.Event]:
    """Set at teardown: servers that stall or drip stop then, whatever the client did."""
    event = threading.Event()
    yield event
    event.set()


@pytest.fixture
def raw_server(released: threading.Event) -> Iterator[Callable[..., str]]:
    """A TCP server on 127.0.0.1 that answers each connection with `handle(conn)`: for the
    faults an HTTP framework will not produce (a reset mid-body, headers sent a byte at a
    time). Returns the base URL."""
    listeners: list[socket.socket] = []

    def start(handle: Callable[[socket.socket], None]) -> str:
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.settimeout(0.2)
        listeners.append(listener)

        def serve() -> None:
            while not released.is_set():
                try:
                    conn, _ = listener.accept()
                except (TimeoutError, OSError):
                    continue
                threading.Thread(target=_handle, args=(handle, conn), daemon=True).start()

        threading.Thread(target=serve, daemon=True).start()
        return f"http://127.0.0.1:{listener.getsockname()[1]}"

    yield start
    released.set()
    for listener in listeners:
        listener.close()


def _handle(handle: Callable[[socket.socket], None], conn: socket.socket) -> None:
    with conn:
        conn.settimeout(5)
        try:
            conn.recv(65536)  # the request
            handle(conn)
        except OSError:
            pass  # the client hung up: what these faults are for


def _drip(released: threading.Event, chunk: bytes, every: float) -> Iterator[bytes]:
    """An endless body: `chunk` every `every` seconds until the test ends."""
    while not released.wait(every):
        yield chunk


def test_a_slow_drip_ends_at_the_deadline(
    httpserver: HTTPServer, make_fetcher: MakeFetcher, project: Path, released: threading.Event,
    bounded: Callable[[float], Any],
) -> None:
    # A byte every 0.1 s: no read ever times out, the deadline alone can end it.
    httpserver.expect_request("/drip.png").respond_with_handler(
        lambda request: Response(_drip(released, b"x", 0.1), content_type="image/png"))
    url = httpserver.url_for("/drip.png")

    with bounded(3), pytest.raises(FetchError) as err:
        make_fetcher(deadline=1.0, timeout_read=5).read(url, guides(project))

    assert str(err.value) == f"{url} did not arrive within the 1 s deadline"
    assert (err.value.cause, err.value.host, err.value.url) == ("timeout", "localhost", url)
    assert len(httpserver.log) == 1  # a timeout is not retried


def test_headers_then_silence_ends_at_the_deadline_not_the_read_timeout(
    httpserver: HTTPServer, make_fetcher: MakeFetcher, project: Path, released: threading.Event,
    bounded: Callable[[float], Any],
) -> None:
    def stall() -> Iterator[bytes]:
        released.wait(30)
        yield b"late"

    httpserver.expect_request("/stall.png").respond_with_handler(
        lambda request: Response(stall(), content_type="image/png"))
    url = httpserver.url_for("/stall.png")

    with bounded(3), pytest.raises(FetchError) as err:
        make_fetcher(deadline=1.0, timeout_read=20).read(url, guides(project))

    assert str(err.value) == f"{url} did not arrive within the 1 s deadline"
    assert err.value.cause == "timeout"


def test_an_endless_body_without_length_ends_at_the_deadline(
    httpserver: HTTPServer, make_fetcher: MakeFetcher, project: Path, released: threading.Event,
    bounded: Callable[[float], Any],
) -> None:
    httpserver.expect_request("/endless.png").respond_with_handler(
        lambda request: Response(_drip(released, b"x" * 65536, 0.01), content_type="image/png"))
    url = httpserver.url_for("/endless.png")

    with bounded(3), pytest.raises(FetchError) as err:
        make_fetcher(deadline=1.0).read(url, guides(project))

    assert str(err.value) == f"{url} did not arrive within the 1 s deadline"
    assert "Content-Length" not in httpserver.log[0][1].headers


def test_headers_sent_a_byte_at_a_time_end_at_the_deadline(
    raw_server: Callable[..., str], make_fetcher: MakeFetcher, project: Path,
    released: threading.Event, bounded: Callable[[float], Any],
) -> None:
    def slow_headers(conn: socket.socket) -> None:
        for byte in b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nX-Slow: " + b"x" * 10_000:
            conn.sendall(bytes([byte]))
            if released.wait(0.05):
                return

    url = raw_server(slow_headers) + "/shot.png"

    with bounded(3), pytest.raises(FetchError) as err:
        make_fetcher(deadline=1.0, timeout_read=5).read(url, guides(project))

    assert str(err.value) == f"{url} did not arrive within the 1 s deadline"


def test_no_answer_at_all_ends_at_the_read_timeout(
    raw_server: Callable[..., str], make_fetcher: MakeFetcher, project: Path,
    released: threading.Event, bounded: Callable[[float], Any],
) -> None:
    url = raw_server(lambda conn: released.wait(30)) + "/shot.png"

    with bounded(3), pytest.raises(FetchError) as err:
        make_fetcher(timeout_read=0.5, deadline=10).read(url, guides(project))

    assert str(err.value) == f"no data for 0.5 s (read timeout) from {url}"
    assert err.value.cause == "timeout"


def _reset(conn: socket.socket) -> None:
    """Half a body, then a TCP reset (SO_LINGER 0), as a crashing server sends."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 1000\r\n\r\n")
    conn.sendall(b"x" * 10)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def test_a_reset_mid_body_is_retried_and_then_reported(
    raw_server: Callable[..., str], make_fetcher: MakeFetcher, project: Path,
    bounded: Callable[[float], Any],
) -> None:
    attempts = []

    def count_and_reset(conn: socket.socket) -> None:
        attempts.append(1)
        _reset(conn)

    url = raw_server(count_and_reset) + "/shot.png"

    with bounded(3), pytest.raises(FetchError) as err:
        make_fetcher(retries=2).read(url, guides(project))

    assert str(err.value).startswith(f"connection lost for {url}: ")
    assert str(err.value).endswith(" (gave up after 3 attempts)")
    assert err.value.cause == "reset"
    assert len(attempts) == 3


def test_a_reset_then_a_good_answer_is_a_download(
    raw_server: Callable[..., str], make_fetcher: MakeFetcher, project: Path, png: bytes,
) -> None:
    answers = iter([_reset, lambda conn: conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: "
        + str(len(png)).encode() + b"\r\nConnection: close\r\n\r\n" + png)])
    url = raw_server(lambda conn: next(answers)(conn)) + "/shot.png"

    assert make_fetcher().read(url, guides(project)) == png


def test_a_redirect_loop_ends_at_once(
    httpserver: HTTPServer, make_fetcher: MakeFetcher, project: Path,
    bounded: Callable[[float], Any],
) -> None:
    httpserver.expect_request("/loop.png").respond_with_data(
        "", status=302, headers={"Location": "/loop.png"})
    url = httpserver.url_for("/loop.png")

    with bounded(2), pytest.raises(FetchError) as err:
        make_fetcher().read(url, guides(project))

    assert err.value.cause == "response"


def test_an_html_page_ends_at_once(
    httpserver: HTTPServer, make_fetcher: MakeFetcher, project: Path,
    bounded: Callable[[float], Any],
) -> None:
    httpserver.expect_request("/login").respond_with_data("<html></html>", content_type="text/html")
    url = httpserver.url_for("/login")

    with bounded(2), pytest.raises(FetchError) as err:
        make_fetcher().read(url, guides(project))

    assert (str(err.value), err.value.cause) == (
        f"not an image (Content-Type text/html) for {url}", "response")
    assert len(httpserver.log) == 1


def test_503_then_200_is_a_download(
    httpserver: HTTPServer, make_fetcher: MakeFetcher, project: Path, png: bytes,
    bounded: Callable[[float], Any],
) -> None:
    httpserver.expect_oneshot_request("/busy.png").respond_with_data("busy", status=503)
    url = serve_png(httpserver, "/busy.png", png)

    with bounded(2):
        assert make_fetcher().read(url, guides(project)) == png
    assert len(httpserver.log) == 2


def test_retry_after_is_honoured(
    httpserver: HTTPServer, make_fetcher: MakeFetcher, project: Path, png: bytes,
    bounded: Callable[[float], Any],
) -> None:
    httpserver.expect_oneshot_request("/later.png").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "1"})
    url = serve_png(httpserver, "/later.png", png)
    started = time.monotonic()

    with bounded(3):
        assert make_fetcher(backoff=0.01).read(url, guides(project)) == png

    assert time.monotonic() - started >= 1.0  # the server's wait, not the 0.01 s backoff
    assert len(httpserver.log) == 2


def test_retry_after_an_http_date(
    httpserver: HTTPServer, make_fetcher: MakeFetcher, project: Path, png: bytes,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    httpserver.expect_oneshot_request("/later.png").respond_with_data(
        "", status=503, headers={"Retry-After": when})
    url = serve_png(httpserver, "/later.png", png)
    sleeps: list[float] = []
    monkeypatch.setattr("generator.fetch.time.sleep", sleeps.append)

    assert make_fetcher().read(url, guides(project)) == png
    assert len(sleeps) == 1 and 27 < sleeps[0] <= 30


def test_retry_after_beyond_the_deadline_gives_up_at_once(
    httpserver: HTTPServer, make_fetcher: MakeFetcher, project: Path,
    bounded: Callable[[float], Any],
) -> None:
    httpserver.expect_request("/later.png").respond_with_data(
        "", status=503, headers={"Retry-After": "3600"})
    url = httpserver.url_for("/later.png")

    with bounded(2), pytest.raises(FetchError) as err:
        make_fetcher(deadline=10).read(url, guides(project))

    assert str(err.value) == (
        f"HTTP 503 Service Unavailable for {url} (gave up: waiting 3600 s to retry would pass "
        "the 10 s deadline)")
    assert (err.value.cause, len(httpserver.log)) == ("http", 1)


def test_an_unresolvable_host_is_not_retried_and_not_asked_again(
    make_fetcher: MakeFetcher, project: Path, monkeypatch: pytest.MonkeyPatch,
    bounded: Callable[[float], Any],
) -> None:
    lookups: list[object] = []
    real = socket.getaddrinfo

    def counted(host: object, *args: Any, **kwargs: Any) -> Any:
        lookups.append(host)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", counted)
    fetcher = make_fetcher()
    first, second = "https://screenshots.invalid/01.png", "https://screenshots.invalid/02.png"

    with bounded(10), pytest.raises(FetchError) as err:
        fetcher.read(first, guides(project))
    assert str(err.value).startswith("cannot reach screenshots.invalid (")
    assert str(err.value).endswith(f") for {first}; not asked again in this build")
    assert (err.value.cause, err.value.host) == ("unreachable", "screenshots.invalid")
    assert lookups == ["screenshots.invalid"]  # once: a name that does not resolve is final

    with bounded(0.5), pytest.raises(FetchError) as again:
        fetcher.read(second, guides(project))
    reason = str(err.value).removeprefix("cannot reach screenshots.invalid (").split(") for ")[0]
    assert str(again.value) == (
        f"cannot reach screenshots.invalid ({reason}, earlier in this build): not asked for "
        f"{second}")
    assert (again.value.cause, again.value.host) == ("unreachable", "screenshots.invalid")
    assert lookups == ["screenshots.invalid"]

    fetcher.begin_build()  # the next build (under `serve`) asks again
    with pytest.raises(FetchError):
        fetcher.read(second, guides(project))
    assert len(lookups) == 2


def test_a_refused_connection_is_not_retried(
    make_fetcher: MakeFetcher, project: Path, bounded: Callable[[float], Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nobody listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/shot.png"
    sleeps: list[float] = []
    monkeypatch.setattr("generator.fetch.time.sleep", sleeps.append)

    with bounded(2), pytest.raises(FetchError) as err:
        make_fetcher(retries=3, backoff=5).read(url, guides(project))

    assert str(err.value).startswith("cannot reach 127.0.0.1 (")
    assert "refused" in str(err.value).lower()
    assert err.value.cause == "unreachable"
    assert sleeps == []


def test_a_tls_failure_is_unreachable_and_not_retried(
    httpserver: HTTPServer, make_fetcher: MakeFetcher, project: Path,
    bounded: Callable[[float], Any],
) -> None:
    # https:// to a plain-HTTP server: the TLS handshake fails.
    url = httpserver.url_for("/shot.png").replace("http://", "https://")

    with bounded(2), pytest.raises(FetchError) as err:
        make_fetcher(backoff=5).read(url, guides(project))

    assert err.value.cause == "unreachable"
    assert str(err.value).startswith("cannot reach localhost ([SSL: ")


def test_the_build_budget_fails_what_is_left_at_once(
    httpserver: HTTPServer, make_fetcher: MakeFetcher, project: Path, png: bytes,
    released: threading.Event, bounded: Callable[[float], Any],
) -> None:
    httpserver.expect_request("/slow.png").respond_with_handler(
        lambda request: Response(_drip(released, b"x", 0.1), content_type="image/png"))
    slow = httpserver.url_for("/slow.png")
    quick = serve_png(httpserver, "/quick.png", png)
    fetcher = make_fetcher(budget=1.0, deadline=30)

    with bounded(3), pytest.raises(FetchError) as err:
        fetcher.read(slow, guides(project))
    assert str(err.value) == (
        f"{slow} did not arrive within the 1 s budget for this build's downloads")
    assert err.value.cause == "budget"

    with bounded(0.5), pytest.raises(FetchError) as late:
        fetcher.read(quick, guides(project))
    assert str(late.value) == (
        f"not downloaded: the 1 s budget for this build's downloads ran out before {quick} "
        "(build again to go on: what was downloaded is kept)")
    assert late.value.cause == "budget"
    assert [r.path for r, _ in httpserver.log] == ["/slow.png"]


def test_fetch_errors_pickle_with_their_cause() -> None:
    error = FetchError("gone", "http", "example.com", "https://example.com/a.png")
    back = pickle.loads(pickle.dumps(error))
    assert (str(back), back.cause, back.host, back.url) == (
        "gone", "http", "example.com", "https://example.com/a.png")


def test_a_missing_local_file_suggests_the_near_name(
    make_fetcher: MakeFetcher, project: Path
) -> None:
    (guides(project) / "assets" / "login-filled.png").write_bytes(b"x")

    with pytest.raises(FetchError) as err:
        make_fetcher().read("assets/login-filed.png", guides(project))

    assert str(err.value) == (
        "local file not found: guides/assets/login-filed.png; did you mean login-filled.png?")
    assert err.value.cause == "local"


def test_another_step_s_screenshot_is_not_suggested(
    make_fetcher: MakeFetcher, project: Path
) -> None:
    (guides(project) / "assets" / "01.png").write_bytes(b"x")

    with pytest.raises(FetchError) as err:
        make_fetcher().read("assets/02.png", guides(project))

    assert str(err.value) == "local file not found: guides/assets/02.png"
