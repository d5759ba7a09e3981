"""fetch: http(s) and local reads, limits, retries, the download cache and offline mode.

Every server here is pytest-httpserver on loopback; nothing leaves the machine.
"""

from __future__ import annotations

import io
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

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
    assert str(results["assets/nope.png"]) == "local file not found: assets/nope.png"
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


def test_connection_refused_is_retried_then_reported(
    make_fetcher: MakeFetcher, project: Path
) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nobody listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/shot.png"

    with pytest.raises(FetchError) as err:
        make_fetcher(retries=1).read(url, guides(project))

    message = str(err.value)
    assert message.startswith(f"connection failed for {url}: ")
    assert message.endswith(" (gave up after 2 attempts)")


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
        ("assets/missing.png", "local file not found: assets/missing.png"),
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
