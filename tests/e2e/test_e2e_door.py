"""Know who connects, with the real SockJS client: allowed origins in headless Chromium,
and a token in the SockJS URL reaching ``authorize`` from Node.

The server is tests/integration/door_server.py; its ``allowed`` service allows only the
static server's origin, its ``auth`` service reads a token from the query string.  What
the server did is judged from its own record (the ``DOOR {json}`` lines it prints: each
session its application saw, each authorize call), not only from what the client saw.

Chromium, from a page on the allowed origin: websocket, xhr-streaming, eventsource and
xhr-polling echo; the transports that cannot be origin-checked (iframe-*, htmlfile,
jsonp-polling) are off, so the client reports no transport or fails over to xhr-polling.
From a page on another origin (a second static server): no session on any transport, with
sockjs-client and with direct requests (WebSocket, no-cors fetch, EventSource, <script>,
<iframe>), while the same direct requests from the allowed page do open sessions.

Node: a token in the URL's query string reaches authorize on every transport the client
has there (websocket, xhr-streaming, eventsource, xhr-polling), on every request of the
session; a bad token gets no session.
"""

import json
import time
import urllib.error
import urllib.request
import uuid

import pytest

from e2e_checks import assert_echo, describe, kernels, result_of
from e2e_messages import SHORT_MESSAGES
from e2e_support import (ARTIFACTS, REPO_ROOT, ServerProcess, StaticServer, e2e_skipped,
                         run_node_script)

DOOR_SERVER = REPO_ROOT / "tests" / "integration" / "door_server.py"
NODE_TIMEOUT = 300

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(NODE_TIMEOUT + 120),
    pytest.mark.skipif(e2e_skipped(), reason="TXSOCKJS_SKIP_E2E is set"),
]

# sockjs-client's transport names -> Handshake.transport
SERVER_NAME = {"websocket": "websocket", "xhr-streaming": "xhr_streaming",
               "eventsource": "eventsource", "xhr-polling": "xhr"}
CHECKABLE = list(SERVER_NAME)
UNCHECKABLE = ["iframe-eventsource", "htmlfile", "iframe-htmlfile", "iframe-xhr-polling",
               "jsonp-polling"]
# What probe.mjs knocks on; jsonp and htmlfile are off on a restricted service.
PROBED = ["websocket", "raw_websocket", "xhr", "xhr_streaming", "eventsource", "jsonp",
          "htmlfile"]
PROBE_OPENS = {"websocket", "raw_websocket", "xhr", "xhr_streaming", "eventsource"}


@pytest.fixture(scope="module")
def door_server(static_server, tmp_path_factory):
    server = ServerProcess("door", "--allowed-origin", static_server.base_url,
                           log_dir=tmp_path_factory.mktemp("door"), script=DOOR_SERVER).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def other_origin(static_server):
    """A second static server: the same pages on another origin."""
    server = StaticServer().start()
    yield server
    server.stop()


def door_events(server, **match):
    """The server's DOOR events matching ``match``, once everything it printed so far
    has reached its log (a request it answers after the others marks the end)."""
    nonce = uuid.uuid4().hex
    try:
        urllib.request.urlopen(urllib.request.Request(
            "%s/auth/000/%s/xhr?token=mark-%s" % (server.base_url, nonce, nonce), b"",
            method="POST"), timeout=5)
    except urllib.error.HTTPError as error:
        assert error.code == 403, error
    deadline = time.monotonic() + 5
    while nonce not in server.log_path.read_text(errors="replace"):
        assert time.monotonic() < deadline, "the door server's log stopped"
        time.sleep(0.05)
    found = []
    for line in server.log_path.read_text(errors="replace").splitlines():
        if line.startswith("DOOR "):
            fields = json.loads(line[5:])
            if all(fields.get(k) == v for k, v in match.items()):
                found.append(fields)
    return found


def made_with(server, key, value):
    """Sessions the application saw whose URL had ``key=value`` in its query."""
    return [e for e in door_events(server, event="made") if e["query"].get(key) == [value]]


def assert_no_open(r):
    assert "open" not in r["events"], "a session opened:\n" + describe(r)
    assert r["close"] is not None and r["close"]["code"] != 1000, describe(r)


# -- Chromium -----------------------------------------------------------------------------

def browser_scenarios(allowed_base, other_base):
    out = []

    def add(sid, page, transports, mode="echo", timeout=30000):
        out.append({"id": sid, "origin": "cross", "pageBase": page, "service": "allowed",
                    "transports": transports, "messages": "short", "mode": mode,
                    "query": "page=" + sid, "timeoutMs": timeout})

    for t in CHECKABLE:
        add("allowed-" + t, allowed_base, [t])
    for t in UNCHECKABLE:
        add("allowed-off-" + t, allowed_base, [t])
    add("allowed-failover", allowed_base, UNCHECKABLE + ["xhr-polling"], timeout=90000)
    add("allowed-auto", allowed_base, None)
    add("allowed-probe", allowed_base, None, mode="probe", timeout=5000)
    for t in CHECKABLE + UNCHECKABLE:
        add("disallowed-" + t, other_base, [t])
    add("disallowed-auto", other_base, None)
    add("disallowed-probe", other_base, None, mode="probe", timeout=5000)
    return out


@pytest.fixture(scope="module")
def browser_run(door_server, static_server, other_origin, chromium):
    config = {
        "chromium": chromium,
        "staticBase": static_server.base_url,
        "serverBase": door_server.base_url,
        "artifacts": str(ARTIFACTS),
        "concurrency": 3,
        "messageSets": {"short": SHORT_MESSAGES},
        "scenarios": browser_scenarios(static_server.base_url, other_origin.base_url),
    }
    out = run_node_script("browser.mjs", config, timeout=NODE_TIMEOUT,
                          log_name="browser-door-%s.log" % kernels())
    if out.get("fatal"):
        pytest.fail("browser.mjs failed: %s" % out["fatal"], pytrace=False)
    out["server_alive"] = door_server.alive()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / ("browser-door-results-%s.json" % kernels())).write_text(json.dumps(out, indent=1))
    return out


def test_pages_are_on_the_intended_origins(browser_run, static_server, other_origin):
    assert result_of(browser_run, "allowed-websocket")["pageOrigin"] == static_server.base_url
    assert result_of(browser_run, "disallowed-websocket")["pageOrigin"] == other_origin.base_url


@pytest.mark.parametrize("transport", CHECKABLE)
def test_allowed_origin_works_on_every_checkable_transport(browser_run, door_server, transport):
    sid = "allowed-" + transport
    assert_echo(result_of(browser_run, sid), transport, len(SHORT_MESSAGES))
    made = made_with(door_server, "page", sid)
    assert [e["transport"] for e in made] == [SERVER_NAME[transport]], made


@pytest.mark.parametrize("transport", UNCHECKABLE)
def test_uncheckable_transports_are_off_for_the_allowed_origin(browser_run, door_server,
                                                                transport):
    sid = "allowed-off-" + transport
    assert_no_open(result_of(browser_run, sid))
    assert not made_with(door_server, "page", sid)


def test_the_client_fails_over_to_a_checkable_transport(browser_run, door_server):
    assert_echo(result_of(browser_run, "allowed-failover"), "xhr-polling", len(SHORT_MESSAGES))
    made = made_with(door_server, "page", "allowed-failover")
    assert [e["transport"] for e in made] == ["xhr"], made


def test_the_client_prefers_websocket_on_the_allowed_origin(browser_run, door_server):
    assert_echo(result_of(browser_run, "allowed-auto"), "websocket", len(SHORT_MESSAGES))


@pytest.mark.parametrize("transport", CHECKABLE + UNCHECKABLE + ["auto"])
def test_disallowed_origin_gets_no_session(browser_run, door_server, transport):
    sid = "disallowed-" + transport
    assert_no_open(result_of(browser_run, sid))
    assert not made_with(door_server, "page", sid)


def test_direct_requests_from_the_allowed_origin_open_sessions(browser_run, door_server):
    """The control for the next test: the same knocks do open sessions when allowed."""
    r = result_of(browser_run, "allowed-probe")
    made = {e["transport"] for e in made_with(door_server, "page", "allowed-probe")}
    assert made == PROBE_OPENS, (made, r)


def test_direct_requests_from_a_disallowed_origin_open_nothing(browser_run, door_server,
                                                                other_origin):
    r = result_of(browser_run, "disallowed-probe")
    assert set(PROBED) <= set(r), r
    assert r["websocket"] != "open" and r["raw_websocket"] != "open", r
    assert r["eventsource"] != "open", r
    assert not made_with(door_server, "page", "disallowed-probe"), r
    # they reached the server, which refused them (the browser did not just hide them)
    refused = [line for line in door_server.output().splitlines()
               if "Refused a" in line and repr(other_origin.base_url) in line]
    assert len(refused) >= 5, refused


def test_direct_requests_from_the_allowed_origin_see_their_session(browser_run):
    r = result_of(browser_run, "allowed-probe")
    assert r["websocket"] == "open" and r["raw_websocket"] == "open", r
    assert r["eventsource"] == "open", r


def test_no_disallowed_page_ever_made_a_session(browser_run, door_server, other_origin):
    made = door_events(door_server, event="made")
    assert made and not [e for e in made if e["origin"] == other_origin.base_url], made


def test_door_server_survived_the_browser(browser_run, door_server):
    assert browser_run["server_alive"]
    assert "Traceback" not in door_server.output(), door_server.output()[-3000:]


# -- Node -----------------------------------------------------------------------------------

def node_scenarios():
    out = []
    for t in CHECKABLE:
        out.append({"id": "token-" + t, "service": "auth", "transports": [t],
                    "messages": "short", "mode": "echo", "timeoutMs": 20000,
                    "query": "token=user-node-%s&case=token-%s" % (t, t)})
        for bad in ("false", "rejected", None):
            case = "bad-%s-%s" % (bad, t)
            query = ("token=%s&" % bad if bad else "") + "case=" + case
            out.append({"id": case, "service": "auth", "transports": [t], "messages": "short",
                        "mode": "echo", "timeoutMs": 20000, "query": query})
    out.append({"id": "token-auto", "service": "auth", "transports": None, "messages": "short",
                "mode": "echo", "timeoutMs": 20000, "query": "token=user-node-auto"})
    return out


@pytest.fixture(scope="module")
def node_run(door_server, node):
    config = {"serverBase": door_server.base_url, "messageSets": {"short": SHORT_MESSAGES},
              "scenarios": node_scenarios()}
    out = run_node_script("node_client.mjs", config, timeout=NODE_TIMEOUT,
                          log_name="node-door-%s.log" % kernels())
    out["server_alive"] = door_server.alive()
    return out


@pytest.mark.parametrize("transport", CHECKABLE)
def test_a_query_token_reaches_authorize_on_every_node_transport(node_run, door_server,
                                                                 transport):
    assert_echo(result_of(node_run, "token-" + transport), transport, len(SHORT_MESSAGES))
    token = "user-node-" + transport
    seen = door_events(door_server, event="authorize", service="auth", token=token)
    # the opening request and, over HTTP, every later request of the session (it has a
    # principal, so each is authorized again: one without the token would be refused)
    assert len(seen) >= (1 if transport == "websocket" else 2), seen
    assert {e["transport"] for e in seen} == {SERVER_NAME[transport]}, seen
    made = made_with(door_server, "case", "token-" + transport)
    assert [e["transport"] for e in made] == [SERVER_NAME[transport]], made


@pytest.mark.parametrize("bad", ["false", "rejected", None])
@pytest.mark.parametrize("transport", CHECKABLE)
def test_a_bad_token_gets_no_session_from_node(node_run, door_server, transport, bad):
    case = "bad-%s-%s" % (bad, transport)
    assert_no_open(result_of(node_run, case))
    assert not made_with(door_server, "case", case)
    seen = door_events(door_server, event="authorize", service="auth", token=bad)
    assert SERVER_NAME[transport] in {e["transport"] for e in seen}, seen


def test_node_prefers_websocket_with_a_token(node_run, door_server):
    assert_echo(result_of(node_run, "token-auto"), "websocket", len(SHORT_MESSAGES))
    seen = door_events(door_server, event="authorize", token="user-node-auto")
    assert [e["transport"] for e in seen] == ["websocket"], seen


def test_door_server_survived_node(node_run, door_server):
    assert node_run["server_alive"]
    assert "Traceback" not in door_server.output(), door_server.output()[-3000:]
