"""RespReader: Redis replies from bytes, however the bytes are split."""

import pytest
from hypothesis import given, strategies as st

from txsockjs.respreader import ProtocolError, RespError, RespReader

MESSAGE = b"*3\r\n$7\r\nmessage\r\n$6\r\nns:t:a\r\n$5\r\nhello\r\n"


def test_every_reply_type():
    reader = RespReader()
    replies = reader.feed(b"+OK\r\n-ERR no\r\n:42\r\n$3\r\n\r\n\n\r\n$-1\r\n*-1\r\n*0\r\n"
                          b"*2\r\n:1\r\n*1\r\n$1\r\nx\r\n")
    assert replies[0] == "OK"
    assert isinstance(replies[1], RespError) and str(replies[1]) == "ERR no"
    assert replies[2:] == [42, b"\r\n\n", None, None, [], [1, [b"x"]]]


def test_one_read_gives_every_message_it_completes():
    assert RespReader().feed(MESSAGE * 200) == [[b"message", b"ns:t:a", b"hello"]] * 200


def test_a_bulk_that_looks_like_a_number_stays_bytes():
    assert RespReader().feed(b"$2\r\n42\r\n$3\r\n1.5\r\n") == [b"42", b"1.5"]


@given(st.lists(st.integers(min_value=0, max_value=len(MESSAGE) * 3), max_size=8))
def test_any_split_gives_the_same_replies(cuts):
    data = MESSAGE * 3
    reader = RespReader()
    replies = []
    last = 0
    for cut in sorted(cuts) + [len(data)]:
        replies += reader.feed(data[last:cut])
        last = cut
    assert replies == [[b"message", b"ns:t:a", b"hello"]] * 3


def test_a_big_bulk_in_many_reads_is_parsed_once_complete():
    reader = RespReader()
    payload = b"y" * 100000
    data = b"$%d\r\n%s\r\n" % (len(payload), payload)
    replies = []
    for start in range(0, len(data), 1000):
        replies += reader.feed(data[start:start + 1000])
    assert replies == [payload]


@pytest.mark.parametrize("data", [b"?what\r\n", b"$abc\r\n", b"$3\r\nabcXY", b"*-2\r\n",
                                  b"$-5\r\n", b":" + b"1" * 70000])
def test_what_is_not_resp_is_refused(data):
    with pytest.raises(ProtocolError):
        RespReader().feed(data)
