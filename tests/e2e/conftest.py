"""Fixtures for the end-to-end tests: the static server, the conformance server, the tools.

The tests here are marked ``slow``; ./run-tests runs them by default.  When a tool they need
is missing they fail with a message pointing at ./run-tests; TXSOCKJS_SKIP_E2E=1 skips them.
"""

import pytest

from e2e_support import (SUMMARIES, ServerProcess, StaticServer, TLSCertificate,
                         chromium_executable, e2e_skipped, node_executable, require_npm_packages,
                         write_summaries)


@pytest.fixture(scope="session")
def static_server():
    if e2e_skipped():
        pytest.skip("TXSOCKJS_SKIP_E2E is set")
    require_npm_packages()
    server = StaticServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def tls_certificate(tmp_path_factory):
    return TLSCertificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def tls_static_server(static_server, tls_certificate):
    """The static server's files over HTTPS (pages on https must load the client over https)."""
    server = StaticServer(tls=tls_certificate).start()
    yield server
    server.stop()


def _conformance(static_server, tmp_path_factory, *extra):
    server = ServerProcess(
        "conformance", "--streaming-limit", "4096", "--sockjs-url", static_server.sockjs_url,
        *extra, log_dir=tmp_path_factory.mktemp("conformance")).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def conformance_server(static_server, tmp_path_factory):
    """``python -m txsockjs conformance`` on a free port, loading the client from our static server."""
    yield from _conformance(static_server, tmp_path_factory)


@pytest.fixture(scope="module")
def compressed_server(static_server, tmp_path_factory):
    """The same with ``compression: True`` on every service (``--compression true``)."""
    yield from _conformance(static_server, tmp_path_factory, "--compression", "true")


@pytest.fixture(scope="session")
def node():
    path = node_executable()
    require_npm_packages()
    return path


@pytest.fixture(scope="session")
def chromium(node):
    return chromium_executable()


@pytest.fixture(scope="session")
def summaries():
    return SUMMARIES


def pytest_terminal_summary(terminalreporter):
    write_summaries(terminalreporter)
