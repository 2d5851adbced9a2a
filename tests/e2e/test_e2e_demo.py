"""The demo (``python -m txsockjs demo``) in headless Chromium: two desktop tabs and a phone.

One run of tests/e2e/demo.mjs (a module fixture) drives the page; the tests below judge what it
saw.  Each tab joins the chat under a name it picks (tab one presses Enter, tab two clicks
Rename) and both member lists show both names; tab one sends with Enter and tab two with the
Send button, both messages appear in both tabs once, in order, as text, and are marked as one's
own only in the sender's tab.  The live figures (from /stats.json) show numbers that change
with the traffic.  Tab one uses the echo panel.  Tab two then picks every transport in turn:
each time the page must say which transport it uses, and a message sent over it must reach tab
one.  Last a phone (390x844, scale 3, touch) joins: no horizontal scrolling, even with a long
unbroken word in the chat; the message input and Send button are on screen, big enough and
not covered, and a tap sends.

Screenshots: tests/e2e/artifacts/demo-tab-1.png, demo-tab-2.png, demo-two-tabs.png,
demo-phone.png (the phone's screen) and demo-phone-full.png (its whole page).
"""

import pytest

from e2e_support import ARTIFACTS, ServerProcess, e2e_skipped, run_node_script

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(240),
    pytest.mark.skipif(e2e_skipped(), reason="TXSOCKJS_SKIP_E2E is set"),
]

NAMES = ["Ada Lovelace", "Grace \u2728", "Phone \U0001F4F1"]
FROM_TAB_ONE = "Hello from tab one <b>not bold</b> \U0001F600"
FROM_TAB_TWO = "Reply from tab two: \u2713 </script> & done"
ECHOED = "echo me <i>plain</i> \u2028 ok"
LONG_WORD = "https://example.org/" + "averyveryverylongunbrokenword" * 6
FROM_PHONE = "Typed on a phone \U0001F44D"
# Every transport sockjs-client 1.6 offers except the IE-only xdr-*; the last is then checked in
# the figures under its server-side name.
TRANSPORTS = ["websocket", "eventsource", "iframe-eventsource", "htmlfile", "iframe-htmlfile",
              "xhr-polling", "iframe-xhr-polling", "jsonp-polling", "xhr-streaming"]
LAST_SERVER_TRANSPORT = "xhr_streaming"


@pytest.fixture(scope="module")
def demo_server(static_server, tmp_path_factory):
    server = ServerProcess("demo", "--sockjs-url", static_server.sockjs_url,
                           log_dir=tmp_path_factory.mktemp("demo")).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def run(demo_server, chromium):
    out = run_node_script("demo.mjs", {
        "chromium": chromium,
        "demoUrl": demo_server.base_url + "/",
        "artifacts": str(ARTIFACTS),
        "names": NAMES,
        "messages": [FROM_TAB_ONE, FROM_TAB_TWO],
        "echo": ECHOED,
        "transports": TRANSPORTS,
        "lastServerTransport": LAST_SERVER_TRANSPORT,
        "longWord": LONG_WORD,
        "fromPhone": FROM_PHONE,
    }, timeout=200)
    out["server_alive"] = demo_server.alive()
    out["server_output"] = demo_server.output()[-3000:]
    return out


def check_ran(out):
    assert not out.get("error"), (out["error"] + "\npages: %r" % out.get("failedPages")
                                  + "\nserver output:\n" + out["server_output"])


def test_no_errors_and_server_alive(run):
    check_ran(run)
    for number, errors in enumerate(run["errors"], 1):
        assert not errors, "page %d: %r" % (number, errors)
    assert run["server_alive"], run["server_output"]


def test_names_and_members(run):
    check_ran(run)
    # friendly default names, one per tab
    assert all(name and not name.startswith("Guest") for name in run["defaultNames"]), run["defaultNames"]
    for number, tab in enumerate(run["tabs"], 1):
        assert sorted(tab["members"]) == sorted(NAMES[:2]), "tab %d: %r" % (number, tab)
        assert tab["ownMember"] == [NAMES[number - 1]], "tab %d: %r" % (number, tab)
    assert sorted(run["members"]) == sorted(NAMES[:2]), "after switching transports: %r" % run["members"]
    assert sorted(run["phone"]["members"]) == sorted(NAMES), run["phone"]


def test_messages_reach_both_tabs_marked_own_in_the_senders(run):
    check_ran(run)
    for number, tab in enumerate(run["tabs"], 1):
        assert tab["messages"] == [FROM_TAB_ONE, FROM_TAB_TWO], "tab %d: %r" % (number, tab)
        assert tab["input"] == "", "tab %d: the input was not cleared after sending" % number
        assert tab["boldElementsInLog"] == 0, "tab %d: message markup became HTML" % number
        assert tab["status"] == "connected" and tab["transport"] == "websocket", "tab %d: %r" % (number, tab)
        assert "connected with websocket" in tab["system"], "tab %d: %r" % (number, tab)
    assert run["tabs"][0]["own"] == [FROM_TAB_ONE], run["tabs"][0]
    assert run["tabs"][1]["own"] == [FROM_TAB_TWO], run["tabs"][1]


def test_echo_answers_only_the_sender(run):
    check_ran(run)
    assert run["tabs"][0]["echoStatus"] == "connected (websocket)", run["tabs"][0]
    assert run["tabs"][0]["echoed"] == [ECHOED], run["tabs"][0]
    assert run["tabs"][1]["echoed"] == [], run["tabs"][1]


def test_transport_picker_switches_and_shows_every_transport(run):
    check_ran(run)
    assert [s["transport"] for s in run["switches"]] == TRANSPORTS
    for switch in run["switches"]:
        assert switch["shown"] == switch["transport"], switch
        assert switch["url"] == switch["transport"], switch  # kept in ?transport= for reloads
        assert switch["echoStatus"] == "connected (%s)" % switch["transport"], switch
        assert switch["reached"], switch


def test_live_figures_change_with_the_traffic(run):
    check_ran(run)
    figures = run["figures"]
    # two chat messages in (at least; the joins and renames count too), each said to two tabs
    assert figures["inAfter"] >= figures["inBefore"] + 2, figures
    assert figures["outAfter"] >= figures["outBefore"] + 4, figures
    assert float(figures["rateSeen"]) > 0, figures
    # both tabs' chat sessions on websocket, and their echo sessions too
    assert figures["websocketChatSessions"] == 2, figures
    assert figures["sessionsOpen"] >= 4, figures
    assert figures["afterSwitching"] == {LAST_SERVER_TRANSPORT: 1, "websocket": 1}, figures


def test_phone_layout(run):
    check_ran(run)
    phone = run["phone"]
    assert "width=device-width" in phone["viewportMeta"], phone
    assert phone["scrollWidth"] <= phone["innerWidth"], "horizontal scrolling on a phone: %r" % phone
    assert not phone["logOverflows"], "the long word widens the chat log: %r" % phone
    for name in ("text", "send", "picker", "name"):
        box = phone[name]
        assert 0 <= box["left"] and box["right"] <= phone["innerWidth"], (name, phone)
        assert box["height"] >= 44, "#%s is too small to tap: %r" % (name, box)
        assert box["hitsItself"], "#%s is covered: %r" % (name, box)
    assert phone["text"]["fontSize"] >= 16, "phones zoom into inputs under 16px: %r" % phone["text"]
    assert phone["send"]["width"] >= 44, phone["send"]
    assert phone["own"] == [FROM_PHONE], phone
    assert phone["status"] == "connected", phone


def test_screenshots_saved(run):
    check_ran(run)
    names = [shot.rsplit("/", 1)[-1] for shot in run["screenshots"]]
    assert names == ["demo-tab-1.png", "demo-tab-2.png", "demo-phone.png", "demo-phone-full.png",
                     "demo-two-tabs.png"]
    for name in names:
        assert (ARTIFACTS / name).stat().st_size > 1000, name
