"""Sign-in tokens never reach a log line: the dev server's, gunicorn's access log, or gunicorn's error log."""

import pytest

from wholesale import create_app
from wholesale.extensions import db

from .link_helpers import *  # noqa: F403

# --- Tokens never reach a log --------------------------------------------------------------------------


@pytest.mark.db_independent
def test_the_filter_redacts_a_dev_server_request_line():
    record = logging.LogRecord(
        "werkzeug",
        logging.INFO,
        __file__,
        1,
        '%s - - [%s] "%s" %s %s',
        ("127.0.0.1", "03/Mar/2025 09:00:00", f"GET /link/{TOKEN} HTTP/1.1", "303", "-"),
        None,
    )
    assert RedactLinkTokens().filter(record) is True
    assert record.getMessage() == '127.0.0.1 - - [03/Mar/2025 09:00:00] "GET /link/[redacted] HTTP/1.1" 303 -'
    assert redact("POST /link/request HTTP/1.1") == "POST /link/request HTTP/1.1"
    assert redact("GET /link/requested HTTP/1.1") == "GET /link/requested HTTP/1.1"


def test_the_dev_server_log_never_shows_a_token(app, ana, caplog):
    from werkzeug.serving import make_server

    url = url_for_contact(app, ana)
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with caplog.at_level(logging.INFO, logger="werkzeug"):
            conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=10)
            conn.request("GET", path_of(url))
            assert conn.getresponse().status == 303
            conn.close()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)

    logged = "\n".join(record.getMessage() for record in caplog.records if record.name == "werkzeug")
    assert "/link/[redacted]" in logged
    assert token_of(url) not in logged


def _gunicorn_logger_class():
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))["logger_class"]


@pytest.mark.db_independent
def test_gunicorns_access_log_never_shows_a_token(tmp_path):
    from gunicorn.config import Config

    log_file = tmp_path / "access.log"
    cfg = Config()
    cfg.set("accesslog", str(log_file))
    cfg.set("access_log_format", "%(r)s %(U)s %(f)s %({referer}i)s %({raw_uri}e)s %(s)s")
    logger = _gunicorn_logger_class()(cfg)
    try:
        environ = {
            "REQUEST_METHOD": "GET",
            "RAW_URI": f"/link/{TOKEN}",
            "PATH_INFO": f"/link/{TOKEN}",
            "QUERY_STRING": "",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_REFERER": f"http://portal.test/link/{TOKEN}",
        }
        response = SimpleNamespace(status="303 SEE OTHER", sent=0, headers=[("Location", "/order")])
        request = SimpleNamespace(headers=[("Referer", f"http://portal.test/link/{TOKEN}")])
        logger.access(response, request, environ, timedelta(milliseconds=3))
    finally:
        for log in (logger.access_log, logger.error_log):
            for handler in list(log.handlers):
                handler.close()
                log.removeHandler(handler)

    line = log_file.read_text()
    assert line.count("/link/[redacted]") == 5, line
    assert TOKEN not in line


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.db_independent
def test_gunicorn_reads_the_redacting_logger_from_the_repository(tmp_path):
    """Run gunicorn as the Procfile does (from the repository, no --config) and read its access log."""
    port = _free_port()
    log_file, errors = tmp_path / "access.log", tmp_path / "errors.log"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'gunicorn.sqlite3'}",
        "WHOLESALE_ENV": "development",
        "SECRET_KEY": "gunicorn-test",
        "HOME": str(tmp_path),
    }
    env.pop("REDIS_URL", None)
    schema = create_app({"ENV_NAME": "development", "SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"]})
    with schema.app_context():  # a database with its tables, as after the Procfile's release step
        db.create_all()
        db.engine.dispose()
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [str(gunicorn)] if gunicorn.exists() else [sys.executable, "-m", "gunicorn"]
    process = subprocess.Popen(
        [
            *command,
            "wsgi:app",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--access-logfile",
            str(log_file),
            "--error-logfile",
            str(errors),
            "--no-control-socket",
        ],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", f"/link/{TOKEN}")
                status = conn.getresponse().status
                conn.close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log = errors.read_text()[-2000:] if errors.exists() else ""
                    pytest.fail(f"gunicorn did not answer: {log}")
                time.sleep(0.2)
        assert status == 400
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not (log_file.exists() and "/link/" in log_file.read_text()):
            time.sleep(0.1)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    logged = log_file.read_text()
    assert "GET /link/[redacted] HTTP/1.1" in logged
    assert TOKEN not in logged
