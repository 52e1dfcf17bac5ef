"""Static files: gzipped when the browser accepts it, cached for good, and linked by their content's hash."""

from __future__ import annotations

import gzip
import hashlib
import re
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parent.parent / "wholesale" / "static"
SOURCES = sorted(p for p in STATIC.iterdir() if p.suffix in (".css", ".js", ".svg"))

# Files on disk and how they are served: one pass of `make test` is enough (setup.cfg).
pytestmark = pytest.mark.db_independent


def linked_assets(client) -> list[str]:
    page = client.get("/link/request").get_data(as_text=True)
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', page)


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_each_gzipped_copy_is_the_file_as_it_is_now(source):
    """The copies are committed (a PaaS runs no build step of ours): `make static` after changing a file."""
    copy = source.with_name(source.name + ".gz")
    assert copy.exists(), f"{copy.name} is missing: run `make static`"
    assert gzip.decompress(copy.read_bytes()) == source.read_bytes(), (
        f"{copy.name} is out of date: run `make static`"
    )


def test_no_gzipped_copy_is_left_of_a_file_that_is_gone():
    for copy in STATIC.glob("*.gz"):
        assert copy.with_suffix("").exists(), f"{copy.name} has no file of its own any more"


def test_every_link_to_a_static_file_names_its_content(client):
    assets = linked_assets(client)
    assert len(assets) == 3, assets
    for url in assets:
        path, version = re.fullmatch(r"/static/([^?]+)\?v=([0-9a-f]{12})", url).groups()
        assert version == hashlib.sha256((STATIC / path).read_bytes()).hexdigest()[:12], url


@pytest.mark.parametrize("accept", ["gzip, deflate, br", ""], ids=["gzip", "identity"])
def test_static_files_are_sent_gzipped_when_accepted_and_kept_for_good(client, accept):
    for url in linked_assets(client):
        response = client.get(url, headers={"Accept-Encoding": accept} if accept else {})
        body = response.data
        response.close()
        source = (STATIC / url.split("?")[0].removeprefix("/static/")).read_bytes()
        assert response.status_code == 200, url
        cache = response.headers["Cache-Control"]
        max_age = int(re.search(r"max-age=(\d+)", cache).group(1))
        assert max_age >= 365 * 24 * 3600 and "immutable" in cache and "public" in cache, cache
        assert "Access-Control-Allow-Origin" not in response.headers, url
        assert "Accept-Encoding" in response.headers.get("Vary", ""), url
        if accept:
            assert response.headers["Content-Encoding"] == "gzip", url
            assert gzip.decompress(body) == source and len(body) < len(source) / 2, url
        else:
            assert "Content-Encoding" not in response.headers and body == source, url


def test_a_changed_file_gets_a_new_address(app, tmp_path):
    from flask import url_for

    (tmp_path / "app.css").write_text("body { color: black }")
    original = app.static_folder
    app.static_folder = str(tmp_path)
    try:
        with app.test_request_context():
            before = url_for("static", filename="app.css")
            (tmp_path / "app.css").write_text("body { color: navy }")
            after = url_for("static", filename="app.css")
            missing = url_for("static", filename="no-such-file.css")
    finally:
        app.static_folder = original
    assert (
        before != after and before.startswith("/static/app.css?v=") and after.startswith("/static/app.css?v=")
    )
    assert missing == "/static/no-such-file.css"


def test_an_unknown_static_file_is_a_404(client):
    response = client.get("/static/no-such-file.css")
    assert response.status_code == 404


@pytest.mark.parametrize(
    "query", ["", "?v=0123456789ab", "?v="], ids=["no version", "another version", "empty"]
)
def test_a_link_not_naming_the_files_content_now_is_not_cached_for_good(client, query):
    """An old link, or a new one answered by an instance still on the old release during a deploy: the
    answer is right for now, but no cache may keep it under that name for good."""
    response = client.get(f"/static/app.css{query}", headers={"Accept-Encoding": "gzip"})
    response.close()
    assert response.status_code == 200
    assert response.headers.get_all("Cache-Control") == ["no-cache"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_path_out_of_the_static_folder_is_not_served_or_read(client, monkeypatch):
    from wholesale import static_files

    looked_at = []
    real = static_files.current_version
    monkeypatch.setattr(static_files, "current_version", lambda path: looked_at.append(path) or real(path))
    for path in ("/static/../config.py?v=0123456789ab", "/static/%2e%2e/config.py?v=0123456789ab"):
        response = client.get(path)
        response.close()
        assert response.status_code == 404, path
    assert not any("config.py" in path for path in looked_at), looked_at
