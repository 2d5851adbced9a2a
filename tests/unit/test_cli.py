"""``python -m txsockjs``: the info command, and errors as one line with status 2."""

import os
import socket
import subprocess
import sys

import pytest

import txsockjs
from txsockjs.__main__ import main


def run_cli(*args, **env):
    environment = dict(os.environ, **env)
    return subprocess.run([sys.executable, "-m", "txsockjs"] + list(args), env=environment,
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


def assert_one_line_error(stderr, *words):
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    for word in words:
        assert word in lines[0], lines[0]


@pytest.mark.parametrize("argv,words", [
    (["demo", "--port", "x"], ["--port", "'x'"]),
    (["demo", "--port", "70000"], ["--port", "70000"]),
    (["conformance", "--timeout", "soon"], ["--timeout", "soon"]),
    (["bogus"], ["bogus", "info"]),
    ([], ["required"]),
    (["info", "--verbose"], ["--verbose"]),
])
def test_bad_arguments_are_one_line_and_status_2(capsys, argv, words):
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert_one_line_error(err, "python -m txsockjs", *words)


def test_an_option_the_service_refuses_is_one_line_and_status_2(capsys):
    # Refused by the options check, before anything listens.
    assert main(["conformance", "--heartbeat", "0", "--port", "0"]) == 2
    assert_one_line_error(capsys.readouterr().err, "conformance", "heartbeat")


def test_a_missing_client_file_is_one_line_and_status_2(tmp_path, capsys):
    assert main(["demo", "--sockjs-client", str(tmp_path / "missing.js")]) == 2
    assert_one_line_error(capsys.readouterr().err, "missing.js", "No such file")


def test_conformance_tls_with_a_missing_or_bad_file_is_one_line_and_status_2(tmp_path):
    missing = str(tmp_path / "missing.pem")
    done = run_cli("conformance", "--port", "0", "--tls", missing, missing)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert_one_line_error(done.stderr, "conformance: --tls", "missing.pem", "No such file")
    (tmp_path / "bad.pem").write_text("not a certificate\n")
    bad = str(tmp_path / "bad.pem")
    done = run_cli("conformance", "--port", "0", "--tls", bad, bad)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert_one_line_error(done.stderr, "conformance: --tls", "bad.pem", "not a PEM certificate")


def test_port_in_use_is_one_line_and_status_2():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        done = run_cli("conformance", "--port", str(port))
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stdout == ""
    assert_one_line_error(done.stderr, "cannot listen on 127.0.0.1 port %d" % port, "in use")


@pytest.mark.parametrize("command", ["demo", "conformance"])
def test_every_option_says_what_it_does(command):
    done = run_cli(command, "--help")
    assert done.returncode == 0, done.stderr
    # argparse puts an option and its help on one line, or the help on the next
    lines = done.stdout.split("options:", 1)[1].splitlines()
    for number, line in enumerate(lines):
        if line.startswith("  -"):
            helped = "  " in line.strip() or lines[number + 1].startswith(" " * 10)
            assert helped, "%s %s has no help:\n%s" % (command, line.strip(), done.stdout)
    assert "(default %d)" % {"demo": 8080, "conformance": 8081}[command] in done.stdout


def info_rows(stdout):
    rows = {}
    for line in stdout.splitlines():
        name, _, value = line.partition(": ")
        rows[name.rstrip(":")] = value.strip()
    return rows


def test_info_on_the_active_path():
    done = run_cli("info")
    assert done.returncode == 0, done.stderr
    rows = info_rows(done.stdout)
    assert rows["txsockjs"].startswith(txsockjs.__version__ + " ")
    assert rows["Python"].startswith("%d.%d." % sys.version_info[:2])
    import twisted
    assert rows["Twisted"] == twisted.__version__
    kernels = txsockjs.kernel_implementation()
    assert rows["kernels"] == "%s: %s" % kernels
    for extra in ("extra metrics", "extra redis", "extra TLS"):
        assert rows[extra].startswith(("yes", "no")), rows


def test_info_says_which_front_doors_are_whole():
    from txsockjs.cli import about
    assert info_rows(about.describe())["front doors"] == (
        "own HTTP channel and twisted.web (SockJSResource): every transport, WebSocket included")


def test_info_says_why_it_is_on_the_pure_path():
    done = run_cli("info", TXSOCKJS_NO_EXTENSIONS="1")
    assert done.returncode == 0, done.stderr
    assert info_rows(done.stdout)["kernels"] == "pure: TXSOCKJS_NO_EXTENSIONS is set"


def test_info_tells_which_extras_are_missing(monkeypatch):
    from txsockjs.cli import about
    versions = {"service_identity": "24.1.0"}
    monkeypatch.setattr(about, "installed_version", versions.get)
    assert about.describe_extra(("service_identity", "pyOpenSSL")) == (
        "no (missing: pyOpenSSL; have service_identity 24.1.0)")
    versions["pyOpenSSL"] = "24.2.1"
    assert about.describe_extra(("service_identity", "pyOpenSSL")) == (
        "yes (service_identity 24.1.0, pyOpenSSL 24.2.1)")


def test_kernel_implementation_is_public_and_matches_the_selector():
    from txsockjs import _speedups
    kernels = txsockjs.kernel_implementation()
    assert kernels.name in txsockjs.KERNEL_IMPLEMENTATIONS
    assert kernels == (_speedups.IMPLEMENTATION, _speedups.REASON)
    assert kernels.reason


@pytest.mark.parametrize("argv, flag", [
    (["--trusted-proxies", "not-an-address"], "--trusted-proxies"),
    (["--heartbeat", "soon"], "--heartbeat"),
    (["--heartbeat", "0"], "--heartbeat"),
    (["--send-overflow", "drop"], "--send-overflow"),
])
def test_serve_option_errors_start_with_the_flag(argv, flag):
    from twisted.python.usage import UsageError
    from txsockjs.cli.tap import ServeOptions
    with pytest.raises(UsageError) as info:
        ServeOptions().parseOptions(["--proxy", "tcp:127.0.0.1:1"] + argv)
    assert str(info.value).startswith(flag + ": "), str(info.value)


def test_conformance_option_errors_name_the_flag(capsys):
    assert main(["conformance", "--heartbeat", "0", "--port", "0"]) == 2
    assert capsys.readouterr().err.startswith("python -m txsockjs conformance: --heartbeat: ")
