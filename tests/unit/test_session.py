"""The Session state machine alone, with a fake clock and fake receivers."""

from twisted.internet.testing import MemoryReactorClock

from txsockjs.protocol.session import Session, SessionDelegate


class FakeReceiver(object):
    def __init__(self, frames_left=None):
        self.frames = []
        self.finished = False
        self.frames_left = frames_left  # None: streaming for ever

    def send_frame(self, frame):
        assert not self.finished, "frame sent to a finished receiver"
        self.frames.append(frame)
        if self.frames_left is None:
            return True
        self.frames_left -= 1
        if self.frames_left <= 0:
            self.finished = True
            return False
        return True

    def finish(self):
        self.finished = True


class Delegate(SessionDelegate):
    def __init__(self):
        self.events = []

    def opened(self, session):
        self.events.append("opened")

    def messages_received(self, messages):
        self.events.append(("messages", list(messages)))

    def closed(self, why):
        self.events.append(("closed", why))


def make(heartbeat=25, timeout=5, batching=False):
    clock = MemoryReactorClock()
    delegate = Delegate()
    gone = []
    scheduled = []
    session = Session("s1", clock, heartbeat, timeout, delegate,
                      schedule_flush=scheduled.append if batching else None,
                      on_gone=gone.append)
    return session, clock, delegate, gone, scheduled


def polling():
    return FakeReceiver(frames_left=1)


def test_first_frame_is_open_and_app_is_told():
    session, clock, delegate, _, _ = make()
    receiver = polling()
    session.attach(receiver)
    assert receiver.frames == [b"o"]
    assert receiver.finished
    assert delegate.events == ["opened"]


def test_messages_queued_between_polls_arrive_once_in_order():
    session, clock, delegate, _, _ = make()
    session.attach(polling())
    for text in ["one", "two", "three"]:
        session.send(text)
    second = polling()
    session.attach(second)
    assert second.frames == [b'a["one","two","three"]']
    third = FakeReceiver()
    session.attach(third)
    assert third.frames == []  # nothing sent twice
    session.send("four")
    assert third.frames == [b'a["four"]']


def test_messages_across_streaming_limit_cycles_are_not_lost():
    session, clock, delegate, _, _ = make()
    first = FakeReceiver(frames_left=3)
    session.attach(first)  # o + two more frames then done
    session.send("m1")
    session.send("m2")
    assert first.finished
    session.send("m3")
    session.send("m4")
    second = FakeReceiver()
    session.attach(second)
    assert first.frames == [b"o", b'a["m1"]', b'a["m2"]']
    assert second.frames == [b'a["m3","m4"]']


def test_batching_defers_to_one_flush():
    session, clock, delegate, _, scheduled = make(batching=True)
    receiver = FakeReceiver()
    session.attach(receiver)
    session.send("a")
    session.send("b")
    assert scheduled == [session]  # scheduled once, not per message
    assert receiver.frames == [b"o"]
    session.flush()
    assert receiver.frames == [b"o", b'a["a","b"]']


def test_second_receiver_gets_2010_and_first_keeps_going():
    session, clock, delegate, _, _ = make()
    first = FakeReceiver()
    session.attach(first)
    second = FakeReceiver()
    session.attach(second)
    assert second.frames == [b'c[2010,"Another connection still open"]']
    assert second.finished
    session.send("x")
    assert first.frames == [b"o", b'a["x"]']


def test_heartbeat_while_attached():
    session, clock, delegate, _, _ = make(heartbeat=10)
    receiver = FakeReceiver()
    session.attach(receiver)
    clock.advance(9.9)
    assert receiver.frames == [b"o"]
    clock.advance(0.2)
    assert receiver.frames == [b"o", b"h"]
    clock.advance(10)
    assert receiver.frames == [b"o", b"h", b"h"]


def test_heartbeat_ends_a_polling_receiver_and_starts_the_disconnect_delay():
    session, clock, delegate, gone, _ = make(heartbeat=10, timeout=5)
    session.attach(polling())
    waiting = polling()
    session.attach(waiting)
    clock.advance(10)
    assert waiting.frames == [b"h"] and waiting.finished
    clock.advance(4.9)
    assert gone == []
    clock.advance(0.2)
    assert gone == [session]
    assert delegate.events[-1] == ("closed", "timeout")


def test_disconnect_delay_expires_session_as_lost():
    session, clock, delegate, gone, _ = make(timeout=5)
    session.attach(polling())
    clock.advance(5.1)
    assert gone == [session]
    assert delegate.events == ["opened", ("closed", "timeout")]


def test_reattaching_cancels_the_disconnect_delay():
    session, clock, delegate, gone, _ = make(timeout=5, heartbeat=100)
    session.attach(polling())
    clock.advance(4)
    session.attach(FakeReceiver())
    clock.advance(10)
    assert gone == []


def test_application_close_sends_queued_then_close_frame():
    session, clock, delegate, gone, _ = make(batching=True)
    receiver = FakeReceiver()
    session.attach(receiver)
    session.send("last words")
    session.close()
    assert receiver.frames == [b"o", b'a["last words"]', b'c[3000,"Go away!"]']
    assert receiver.finished
    assert delegate.events[-1] == ("closed", "app")
    later = polling()
    session.attach(later)
    assert later.frames == [b'c[3000,"Go away!"]']
    clock.advance(5.1)
    assert gone == [session]


def test_close_is_idempotent_and_send_after_close_is_dropped():
    session, clock, delegate, _, _ = make()
    session.attach(FakeReceiver())
    session.close()
    session.close()
    assert session.send("late") is False
    assert [e for e in delegate.events if e[0] == "closed"] == [("closed", "app")]


def test_receiver_lost_closes_with_1002():
    session, clock, delegate, _, _ = make()
    receiver = FakeReceiver()
    session.attach(receiver)
    session.receiver_lost(receiver)
    assert delegate.events[-1] == ("closed", "interrupted")
    later = polling()
    session.attach(later)
    assert later.frames == [b'c[1002,"Connection interrupted"]']


def test_lost_of_a_stale_receiver_is_ignored():
    session, clock, delegate, _, _ = make()
    first = polling()
    session.attach(first)
    session.receiver_lost(first)  # already detached after its one frame
    assert ("closed", "interrupted") not in delegate.events


def test_messages_from_client_reach_app_only_while_open():
    session, clock, delegate, _, _ = make()
    session.attach(FakeReceiver())
    session.messages_received(["a", "b"])
    session.messages_received([])
    session.close()
    session.messages_received(["late"])
    assert delegate.events.count(("messages", ["a", "b"])) == 1
    assert ("messages", ["late"]) not in delegate.events


def test_close_inside_opened_sends_open_then_close():
    clock = MemoryReactorClock()

    class Closer(Delegate):
        def opened(self, session):
            session.close()

    session = Session("s", clock, 25, 5, Closer())
    receiver = FakeReceiver()
    session.attach(receiver)
    assert receiver.frames == [b"o", b'c[3000,"Go away!"]']


def test_broadcast_bytes_only_when_nothing_is_queued():
    session, clock, delegate, _, _ = make(batching=True)
    receiver = FakeReceiver()
    session.attach(receiver)
    assert session.send_frame_bytes(b'a["x"]') is True
    session.send("queued")
    assert session.send_frame_bytes(b'a["y"]') is False  # would overtake "queued"
    session.flush()
    assert receiver.frames == [b"o", b'a["x"]', b'a["queued"]']


def test_shutdown_tells_the_application():
    session, clock, delegate, gone, _ = make()
    session.attach(FakeReceiver())
    session.shutdown()
    assert delegate.events[-1] == ("closed", "shutdown")
    assert not clock.getDelayedCalls()


def test_polls_switch_timers_without_piling_up_calls_and_keep_exact_deadlines():
    # Poll after poll a session switches between its heartbeat and its
    # disconnect delay: it moves between the two shared queues, each with at
    # most one delayed call, and nothing piles up in the reactor.
    session, clock, delegate, gone, _ = make(heartbeat=25, timeout=5)
    session.attach(polling())                       # the open frame ends the first poll
    for _ in range(200):
        clock.advance(0.5)
        receiver = polling()
        session.attach(receiver)                    # held: the heartbeat's turn
        assert len([c for c in clock.getDelayedCalls() if c.active()]) <= 2
        clock.advance(0.5)
        session.send("m")                           # answered: the disconnect delay's turn
        assert receiver.frames == [b'a["m"]']
        assert len([c for c in clock.getDelayedCalls() if c.active()]) <= 2
    # The deadlines are still exact: a held poll gets its heartbeat 25 s after it came...
    receiver = polling()
    session.attach(receiver)
    clock.advance(24.9)
    assert receiver.frames == []
    clock.advance(0.1)
    assert receiver.frames == [b"h"]
    # ... and a session nobody polls closes 5 s after its last poll ended.
    clock.advance(4.9)
    assert session.state == "open" and not gone
    clock.advance(0.1)
    assert session.state == "closed" and gone == [session]
    assert ("closed", "timeout") in delegate.events


# -- the shared deadline queues (SessionTimers) ------------------------------------------


def _sessions_on_shared_timers(clock, count, heartbeat=25, timeout=5):
    from txsockjs.protocol.session import SessionTimers
    timers = SessionTimers(clock, heartbeat, timeout)
    pairs = []
    for _ in range(count):
        delegate, receiver = Delegate(), FakeReceiver()
        session = Session("s", clock, heartbeat, timeout, delegate, timers=timers,
                          on_gone=lambda session: None)   # (kept one delay after its close)
        session.attach(receiver)
        pairs.append((session, delegate, receiver))
        clock.advance(1)
    return timers, pairs


def test_sessions_of_a_service_share_one_delayed_call_and_keep_exact_heartbeats():
    clock = MemoryReactorClock()
    timers, pairs = _sessions_on_shared_timers(clock, 3)   # attached at t=0, 1, 2
    assert len(clock.getDelayedCalls()) == 1
    assert len(timers.heartbeat) == 3
    clock.advance(21.999)                                   # t=24.999: nobody is due yet
    assert [r.frames for _, _, r in pairs] == [[b"o"]] * 3
    clock.advance(0.001)                                    # t=25: the first one only
    assert [r.frames for _, _, r in pairs] == [[b"o", b"h"], [b"o"], [b"o"]]
    clock.advance(1)
    clock.advance(1)
    assert [r.frames for _, _, r in pairs] == [[b"o", b"h"]] * 3
    clock.advance(25)                                       # re-armed by their own heartbeat
    assert [r.frames for _, _, r in pairs] == [[b"o", b"h", b"h"]] * 3
    assert len(clock.getDelayedCalls()) == 1


def test_a_session_that_leaves_the_queue_is_not_called_and_the_last_takes_the_timer():
    clock = MemoryReactorClock()
    timers, pairs = _sessions_on_shared_timers(clock, 2)
    first, second = pairs[0][0], pairs[1][0]
    first.close()           # closed: it waits one disconnect delay in the other queue
    second.close()
    assert len(timers.heartbeat) == 0
    assert len(timers.timeout) == 2
    clock.advance(5)
    assert len(timers.timeout) == 0
    assert not [call for call in clock.getDelayedCalls() if call.active()]


def test_a_detached_session_times_out_after_exactly_the_disconnect_delay():
    clock = MemoryReactorClock()
    timers, pairs = _sessions_on_shared_timers(clock, 1)
    session, delegate, receiver = pairs[0]
    session.receiver_lost(receiver)            # (closes it: interrupted)
    clock.advance(4.9)
    assert session.close_delivered is False
    clock.advance(0.1)
    assert session.close_delivered is True
    assert len(timers.timeout) == 0


def test_a_failing_session_leaves_the_others_due_for_the_next_call():
    from txsockjs.protocol.deadlinequeue import DeadlineQueue
    clock = MemoryReactorClock()
    called = []

    def due(item):
        called.append(item)
        if item == "bad":
            raise RuntimeError("boom")

    queue = DeadlineQueue(clock, 10, due)
    for item in ("bad", "good"):
        queue.add(item)
    try:
        clock.advance(10)
    except RuntimeError:
        pass
    else:
        raise AssertionError("the error must reach the reactor (which logs it)")
    assert called == ["bad"]
    clock.advance(0)
    assert called == ["bad", "good"]
    assert len(queue) == 0 and not clock.getDelayedCalls()


def _sharing(count, limit=100, policy="close"):
    from txsockjs.protocol.sendbuffer import Budget, IdleSendBuffer
    clock = MemoryReactorClock()
    budget = Budget()
    idle = IdleSendBuffer(limit, policy, budget)
    made = []
    for n in range(count):
        delegate = Delegate()
        session = Session("s%d" % n, clock, 25, 5, delegate, send_limit=limit, overflow=policy,
                          budget=budget, idle_buffer=idle)
        made.append((session, delegate))
    return idle, budget, made


def test_idle_sessions_share_one_empty_buffer_until_their_first_message():
    idle, budget, [(a, _), (b, _)] = _sharing(2)
    assert a.buffer is idle and b.buffer is idle
    assert a.send("one") and a.send("two")
    # a got a buffer of its own, with its limit; the shared one and b's are untouched
    assert a.buffer is not idle and a.buffer.limit == 100 and a.queue == ["one", "two"]
    assert b.buffer is idle and b.queue == [] and idle.messages == () and idle.size == 0
    assert budget.used == 6
    receiver = FakeReceiver()
    a.attach(receiver)
    assert receiver.frames == [b"o", b'a["one","two"]'] and budget.used == 0


def test_a_first_message_over_the_limit_meets_the_overflow_policy():
    idle, _, [(closing, delegate)] = _sharing(1, limit=10, policy="close")
    assert not closing.send("x" * 11)
    assert ("closed", "overflow") in delegate.events
    assert idle.messages == () and idle.size == 0
    idle, _, [(dropping, _)] = _sharing(1, limit=10, policy="drop_newest")
    assert not dropping.send("x" * 11)
    assert dropping.buffer is not idle and dropping.buffer.dropped == 1 and idle.dropped == 0


def test_a_poll_after_drop_oldest_dropped_gets_only_the_newest():
    """The session hands on what its buffer holds: after "drop_oldest" dropped messages
    (kept in the buffer's list until they are half of it), the next poll's frame has only
    those kept, oldest first, and the buffer's count and budget are right after."""
    idle, budget, [(session, delegate)] = _sharing(1, limit=30, policy="drop_oldest")
    for number in range(12):
        assert session.send("m%02d" % number)          # 3 bytes each: 10 fit
    assert session.buffer.head > 0                      # (some dropped, not cut out yet)
    receiver = FakeReceiver()
    session.attach(receiver)
    assert receiver.frames[-1] == b'a["m02","m03","m04","m05","m06","m07","m08","m09","m10","m11"]'
    assert session.buffer.dropped == 2 and budget.used == 0 and len(session.buffer) == 0
