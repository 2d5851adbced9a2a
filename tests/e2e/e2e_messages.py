"""Hard message content for the end-to-end echo tests (the browser and the Node client)."""


def _big_message(size=100_000):
    """About 100 KB of mixed text: 25x the streaming limit (4096) of the conformance server."""
    block = ("0123456789 abcdefghij <b>&amp;</b> \"quoted\" \\ back\\slash "
             "\u00e9\u00e8 \u4e2d\u6587 \U0001F600 \u2028\u2029 % %25 \n\r\t ")
    parts = []
    length = 0
    i = 0
    while length < size:
        part = "[%05d] %s" % (i, block)  # numbered, so loss or reordering inside shows
        parts.append(part)
        length += len(part)
        i += 1
    return "".join(parts)


BIG = _big_message()

HARD_MESSAGES = [
    "",
    " ",
    "hello",
    "\u2028",
    "\u2029",
    "line\u2028separator\u2029paragraph",
    "nul\x00inside",
    "\x00",
    "".join(chr(c) for c in range(0, 32)) + "\x7f",
    "emoji \U0001F600\U0001F389\U0001F44D\U0001F3FD and G clef \U0001D11E",
    "</script><script>window.__pwned = 1</script>",
    "<!-- comment --><![CDATA[x]]></textarea></title></style>",
    "<b>bold</b> &amp; &lt; &#x41; <img src=x onerror=alert(1)>",
    '{"looks": ["like", "json", 1, null, true]}',
    '["a", "b"]',
    '"just a quoted string"',
    "\\",
    "\\u0000 \\n \\\" not escapes, literal backslashes",
    'a["fake frame"]',
    "o",
    "h",
    "c",
    'c[3000,"Go away!"]',
    'm"x"',
    "[]",
    "%",
    "%zz",
    "%25%0A%00",
    "100% done",
    "\r\n",
    "\n",
    "\r",
    "data: fake\r\n\r\nevent: x\n",
    "tab\there",
    "\u200c\u200d\u200e\u200f\u202a\u202e\u2060\u206f\ufeff\ufff0\ufffd\ufffe\uffff",
    "'); alert(1); //",
    "p(\"x\");",
    "\u0080\u009f\u00a0\u00ff\u0100\u07ff\u0800\uffef",
    BIG,
] + ["after the big one #%03d %s" % (i, "x" * 1000) for i in range(20)] + ["last"]

SHORT_MESSAGES = ["hello", "", "\u2028", "<b>x</b>", "%zz", "\U0001F600", "last"]
