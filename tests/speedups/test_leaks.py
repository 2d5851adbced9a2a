"""A million calls of each compiled kernel keep the RSS flat (see leak_loop.py)."""

import os
import subprocess
import sys

import pytest

from kernel_paths import COMPILED

HERE = os.path.dirname(os.path.abspath(__file__))
CALLS = 1000000
# A leak of one small object a call is 32 MiB or more a million calls; the allocator's
# own settling stays far under this.
LIMIT_KIB = 4096
KERNEL_CASES = ["mask", "mask_view", "mask_inplace", "mask_error", "frames", "frames_split",
                "frames_error", "build_frame", "quote", "encode_messages", "encode_many",
                "encode_fallback", "deflate", "inflate", "inflate_errors", "eventsource", "htmlfile", "jsonp",
                "decode", "decode_error", "decode_broken", "head", "head_error", "head_end",
                "responses", "response_lost"]

pytestmark = [
    pytest.mark.skipif(COMPILED is None, reason="compiled kernels are not built"),
    # The loops call the compiled modules directly, whichever path the process chose:
    # running them again in run-tests's pure pass would test nothing new.
    pytest.mark.skipif(os.environ.get("TXSOCKJS_NO_EXTENSIONS", "") not in ("", "0"),
                       reason="the compiled pass runs the leak loops"),
]


def grown_kib(case, calls=CALLS):
    done = subprocess.run([sys.executable, os.path.join(HERE, "leak_loop.py"), case, str(calls)],
                          cwd=HERE, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    grown, ran = map(int, done.stdout.split())
    assert ran == calls
    return grown


@pytest.mark.timeout(300)
@pytest.mark.parametrize("case", KERNEL_CASES)
def test_rss_stays_flat(case):
    grown = grown_kib(case)
    assert grown < LIMIT_KIB, "%s: RSS grew %d KiB in %d calls" % (case, grown, CALLS)


def test_the_loop_sees_a_leak():
    """8 bytes a call (a list that keeps growing) is 7.6 MiB a million calls: caught."""
    assert grown_kib("planted_leak") >= LIMIT_KIB


def test_every_case_is_run():
    import leak_loop
    assert set(KERNEL_CASES) | {"planted_leak"} == set(leak_loop.CASES)
