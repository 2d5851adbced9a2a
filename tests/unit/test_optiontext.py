"""Options written as text (endpoint strings, command-line flags)."""

import collections.abc
import os.path
import typing

import pytest

from txsockjs.cli.optiontext import (
    import_name, option_help, option_types, options_from_text, read_value, validated_options,
)
from txsockjs.options import Options


def test_every_current_option_has_a_type():
    types = option_types()
    assert list(types) == [field for field in Options.__dataclass_fields__]
    assert types["websocket"] is bool and types["heartbeat"] is float


def test_pairs_become_the_options_dict():
    options = options_from_text(["heartbeat=10", "websocket=false", "cookie-needed=YES",
                                 "streaming_limit=4_096", "sockjs_url=/s.js"])
    assert options == {"heartbeat": 10.0, "websocket": False, "cookie_needed": True,
                       "streaming_limit": 4096, "sockjs_url": "/s.js"}
    assert Options.from_dict(options).heartbeat == 10.0


def test_a_mapping_works_too():
    assert options_from_text({"timeout": "2.5"}) == {"timeout": 2.5}


@pytest.mark.parametrize("pairs, named", [
    (["nosuch=1"], "nosuch"),
    (["heartbeat=soon"], "heartbeat"),
    (["websocket=maybe"], "websocket"),
    (["streaming_limit=1.5"], "streaming_limit"),
    (["heartbeat"], "heartbeat"),
])
def test_bad_text_raises_naming_the_key(pairs, named):
    with pytest.raises(ValueError, match=named):
        options_from_text(pairs)


def test_validation_still_applies():
    with pytest.raises(ValueError, match="heartbeat"):
        validated_options(["heartbeat=-1"])
    assert validated_options(["heartbeat=1"]) == {"heartbeat": 1.0}


# -- annotations the options will grow: read generically ----------------------

@pytest.mark.parametrize("annotation, text, value", [
    (typing.Optional[typing.List[str]], "https://a.example, https://*.b.example",
     ["https://a.example", "https://*.b.example"]),
    (typing.Optional[typing.List[str]], "none", None),
    (typing.Optional[typing.List[str]], "", None),
    (list[str], "10.0.0.0/8,127.0.0.1", ["10.0.0.0/8", "127.0.0.1"]),
    (int | None, "100", 100),
    (int | None, "None", None),
    (typing.Optional[int], "7", 7),
    (typing.Literal["close", "drop_oldest", "drop_newest"], "drop_oldest", "drop_oldest"),
    (tuple[int, ...], "1,2", (1, 2)),
    (str, "client", "client"),
])
def test_generic_annotations(annotation, text, value):
    assert read_value(annotation, text) == value


@pytest.mark.parametrize("annotation", [
    collections.abc.Callable, typing.Callable[..., typing.Any],
    typing.Optional[typing.Callable[[object], object]],
])
def test_callables_are_imported_by_dotted_name(annotation):
    assert read_value(annotation, "os.path.join") is os.path.join


def test_bad_values_of_generic_annotations():
    with pytest.raises(ValueError):
        read_value(int | None, "lots")
    with pytest.raises(ValueError, match="expected one of"):
        read_value(typing.Literal["close"], "drop")
    with pytest.raises(ValueError, match="cannot import"):
        read_value(collections.abc.Callable, "no_such_module_here.thing")
    with pytest.raises(ValueError, match="has no"):
        read_value(collections.abc.Callable, "os.path.no_such_function")
    with pytest.raises(ValueError, match="dotted name"):
        read_value(collections.abc.Callable, "justaname")


def test_import_name_accepts_a_colon():
    assert import_name("os.path:join") is os.path.join


@pytest.mark.parametrize("pair, written", [
    ("heartbeat=soon", "heartbeat"), ("heartbeat=-1", "heartbeat"), ("nosuch=1", "nosuch"),
    ("trusted_proxies=not-an-address", "trusted_proxies"),
    ("trusted-proxies=not-an-address", "trusted-proxies"),
    ("max-sessions=0", "max-sessions"),
])
def test_text_option_errors_start_with_the_key_as_written(pair, written):
    with pytest.raises(ValueError) as info:
        validated_options([pair])
    assert str(info.value).startswith(written + ": "), str(info.value)


def test_option_help_is_the_whole_description():
    # The Options docstring wraps some descriptions over several lines.
    found = option_help()
    assert found["authorize"] == (
        "None, or a callable taking the Handshake and returning the principal (``True`` if "
        "there is nothing better), or a Deferred / coroutine of one; False or ``Rejected`` "
        "refuses")
    assert found["authorize_timeout"].endswith("gets 503 (at most 30)")
    assert found["base_url"].endswith("there (per-node routes behind a load balancer)")
    assert found["broker"].endswith("for several processes; one broker per service")
    assert found["max_sessions_per_client"] == "open sessions per client_ip at most (None: no limit)"
    assert found["heartbeat"] == "seconds between ``h`` frames while a receiver is attached"
    for name, text in found.items():
        assert text and text.count("(") == text.count(")"), (name, text)


def test_twistd_help_shows_each_option_whole():
    from txsockjs.cli.tap import TwistdOptions
    shown = " ".join(str(TwistdOptions()).split())
    for name, text in option_help().items():
        assert "--%s=" % name.replace("_", "-") in shown
        assert text in shown, name  # (and no word cut in two by the wrapping)
