"""The demo (``python -m txsockjs demo``) in two tabs of headless Chromium.

Tab one types a message and presses Enter; tab two types one and clicks Send.  Both tabs must
show both messages, once each and in order, as text (the markup in them must not become
elements), with the status "connected (websocket)".  Then tab one uses the echo panel: its
message comes back to tab one alone.  Screenshots of both tabs are saved as
tests/e2e/artifacts/demo-tab-1.png, demo-tab-2.png and demo-two-tabs.png.
"""

import pytest

from e2e_support import ARTIFACTS, ServerProcess, e2e_skipped, run_node_script

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(180),
    pytest.mark.skipif(e2e_skipped(), reason="TXSOCKJS_SKIP_E2E is set"),
]

FROM_TAB_ONE = "Hello from tab one <b>not bold</b> \U0001F600"
FROM_TAB_TWO = "Reply from tab two: \u2713 </script> & done"
ECHOED = "echo me <i>plain</i> \u2028 ok"


@pytest.fixture
def demo_server(static_server, tmp_path):
    server = ServerProcess("demo", "--sockjs-url", static_server.sockjs_url, log_dir=tmp_path).start()
    yield server
    server.stop()


def test_demo_chat_in_two_tabs(demo_server, chromium):
    out = run_node_script("demo.mjs", {
        "chromium": chromium,
        "demoUrl": demo_server.base_url + "/",
        "artifacts": str(ARTIFACTS),
        "messages": [FROM_TAB_ONE, FROM_TAB_TWO],
        "echo": ECHOED,
    }, timeout=120)
    assert not out.get("error"), out["error"] + "\ntabs: %r" % out.get("failedTabs") + "\nserver output:\n" + demo_server.output()[-3000:]
    assert len(out["tabs"]) == 2
    for number, tab in enumerate(out["tabs"], 1):
        assert tab["messages"] == [FROM_TAB_ONE, FROM_TAB_TWO], "tab %d: %r" % (number, tab)
        assert tab["system"] == ["connected with websocket"], "tab %d: %r" % (number, tab)
        assert tab["input"] == "", "tab %d: the input was not cleared after sending" % number
        assert tab["boldElementsInLog"] == 0, "tab %d: message markup became HTML" % number
        assert not tab["errors"], "tab %d: %r" % (number, tab["errors"])
        assert tab["echoStatus"] == "connected (websocket)", "tab %d: %r" % (number, tab)
    # the echo service answers only the tab that sent
    assert out["tabs"][0]["echoed"] == [ECHOED], out["tabs"][0]
    assert out["tabs"][1]["echoed"] == [], out["tabs"][1]
    for shot in out["screenshots"]:
        assert (ARTIFACTS / shot.rsplit("/", 1)[-1]).stat().st_size > 1000, shot
    assert demo_server.alive()
    # Last, so that the checks above still run: the status line must follow the connection.
    for number, tab in enumerate(out["tabs"], 1):
        assert tab["status"] == "connected (websocket)", (
            "tab %d: the status line shows %r although the log says %r"
            % (number, tab["status"], tab["system"]))
