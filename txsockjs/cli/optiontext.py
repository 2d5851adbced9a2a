"""SockJS options written as text: ``key=value`` pairs and command-line flags.

The endpoint string (``sockjs:tcp\\:8080:heartbeat=10``), ``twistd sockjs``
and ``python -m txsockjs serve`` all take options as text.  This module turns
text into the options dict of :class:`txsockjs.options.Options`, reading each
option's type from the dataclass annotation, so a new option needs no change
here:

======================  ==============================================
annotation              text
======================  ==============================================
``bool``                ``true``/``false``, ``yes``/``no``, ``on``/``off``, ``1``/``0``
``int`` / ``float``     a number (``1_000`` is fine)
``str``                 taken as it is
``list[X]``             comma-separated items, each read as ``X``
``X | None``            ``none`` (or nothing) is None, else read as ``X``
``Literal[...]``        one of the listed values
``Mapping[str, X]``     a JSON object, ``{"level": 6}``
a ``Callable``          a dotted name, ``package.module.name``, imported
======================  ==============================================

An unknown key or a value that cannot be read raises ``OptionError`` (a
ValueError) starting with the key as it was written; the dict is then
validated by ``Options.from_dict`` as any other.
"""

import collections.abc
import dataclasses
import importlib
import json
import types
import typing
from typing import Any, Dict, Iterable, List, Mapping, Tuple, Union

from txsockjs.options import OptionError, Options

_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")
_NONE = ("none", "")


def option_types() -> Dict[str, Any]:
    """{option name: resolved type annotation}, in field order."""
    hints = typing.get_type_hints(Options)
    return {field.name: hints.get(field.name, str) for field in dataclasses.fields(Options)}


def option_help() -> Dict[str, str]:
    """{option name: its help}, from the Options docstring's ``name   description``
    entries; a description goes on over the lines indented deeper than its
    name (empty where it says nothing)."""
    names = option_types()
    found = dict.fromkeys(names, "")
    current, indent = "", 0
    for line in (Options.__doc__ or "").splitlines():
        depth = len(line) - len(line.lstrip())
        name, _, text = line.strip().partition(" ")
        if name in found and text.strip():
            current, indent = name, depth
            found[name] = text.strip()
        elif current and line.strip() and depth > indent:
            found[current] += " " + line.strip()
        else:
            current = ""
    return found


def import_name(dotted: str) -> Any:
    """The object named ``package.module.name`` (also ``package.module:name``)."""
    dotted = dotted.strip()
    if ":" in dotted:
        module_name, _, attribute = dotted.partition(":")
    else:
        module_name, _, attribute = dotted.rpartition(".")
    if not module_name or not attribute:
        raise ValueError("%r is not a dotted name like package.module.name" % (dotted,))
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise ValueError("cannot import %r: %s" % (module_name, error))
    obj: Any = module
    for part in attribute.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ValueError("module %r has no %r" % (module_name, attribute))
    return obj


def _is_union(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    return origin is typing.Union or origin is getattr(types, "UnionType", None)


def _is_callable(annotation: Any) -> bool:
    if annotation is collections.abc.Callable or annotation is typing.Callable:
        return True
    return typing.get_origin(annotation) is collections.abc.Callable


def read_value(annotation: Any, text: str) -> Any:
    """``text`` read as a value of type ``annotation``; ValueError if it cannot be."""
    if _is_union(annotation):
        members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(members) < len(typing.get_args(annotation)) and text.strip().lower() in _NONE:
            return None
        errors: List[str] = []
        for member in members:
            try:
                return read_value(member, text)
            except ValueError as error:
                errors.append(str(error))
        raise ValueError("; ".join(errors))
    origin = typing.get_origin(annotation)
    if origin in (list, tuple, collections.abc.Sequence, frozenset, set):
        args = [arg for arg in typing.get_args(annotation) if arg is not Ellipsis]
        item = args[0] if args else str
        items = [read_value(item, part.strip()) for part in text.split(",") if part.strip()]
        return tuple(items) if origin is tuple else (
            frozenset(items) if origin is frozenset else set(items) if origin is set else items)
    if origin is typing.Literal:
        for choice in typing.get_args(annotation):
            if str(choice) == text:
                return choice
        raise ValueError("expected one of %s, not %r"
                         % (", ".join(str(c) for c in typing.get_args(annotation)), text))
    if origin in (dict, collections.abc.Mapping):
        try:
            value = json.loads(text)
        except ValueError:
            value = None
        if not isinstance(value, dict):
            raise ValueError("expected a JSON object, not %r" % (text,))
        return value
    if _is_callable(annotation):
        return import_name(text)
    if annotation is bool:
        lowered = text.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ValueError("expected true or false, not %r" % (text,))
    if annotation is int:
        try:
            return int(text.strip())
        except ValueError:
            raise ValueError("expected a whole number, not %r" % (text,))
    if annotation is float:
        try:
            return float(text.strip())
        except ValueError:
            raise ValueError("expected a number, not %r" % (text,))
    # str, Any, or anything else: the text itself, judged by Options.from_dict
    return text


def option_from_text(key: str, text: str) -> Tuple[str, Any]:
    """(option name, value) for one option given as text; ``-`` in the key reads as ``_``."""
    name = key.strip().replace("-", "_")
    known = option_types()
    if name not in known:
        raise OptionError(key.strip(), "unknown SockJS option (known: %s)" % (", ".join(known),))
    try:
        return name, read_value(known[name], text)
    except ValueError as error:
        raise OptionError(key.strip(), str(error))


def options_from_text(pairs: Union[Mapping[str, str], Iterable[str]]) -> Dict[str, Any]:
    """The options dict from ``key=value`` strings or a {key: text} mapping."""
    return _read_pairs(pairs)[0]


def validated_options(pairs: Union[Mapping[str, str], Iterable[str]]) -> Dict[str, Any]:
    """``options_from_text`` checked by ``Options.from_dict``; returns the dict.
    Its errors, too, name the option as it was written."""
    options, written = _read_pairs(pairs)
    try:
        Options.from_dict(options)
    except OptionError as error:
        raise error.written_as(written.get(error.option, error.option))
    return options


def _read_pairs(pairs: Union[Mapping[str, str], Iterable[str]]
                ) -> Tuple[Dict[str, Any], Dict[str, str]]:
    # (the options dict, {option name: the key as written})
    if isinstance(pairs, collections.abc.Mapping):
        items: List[Tuple[str, str]] = list(pairs.items())
    else:
        items = []
        for pair in pairs:
            key, equals, text = pair.partition("=")
            if not equals:
                raise OptionError(pair, "expected key=value")
            items.append((key, text))
    options: Dict[str, Any] = {}
    written: Dict[str, str] = {}
    for key, text in items:
        name, value = option_from_text(key, text)
        options[name] = value
        written[name] = key.strip()
    return options, written


def flag_error(error: OptionError) -> str:
    """``error`` as a command line says it: ``--heartbeat: must be ...``."""
    return "--%s: %s" % (error.option.replace("_", "-"), error.problem)
