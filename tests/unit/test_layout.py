"""The package's layout by role: public names from ``txsockjs`` itself, moved paths that keep
working with a DeprecationWarning, no two modules with the same name."""

import importlib
import pathlib
import subprocess
import sys
import warnings

import pytest

import txsockjs

PACKAGE = pathlib.Path(txsockjs.__file__).parent
MOVED = {
    "txsockjs.tap": ("txsockjs.cli.tap", "TwistdOptions"),
    "txsockjs.optiontext": ("txsockjs.cli.optiontext", "option_from_text"),
    "txsockjs.about": ("txsockjs.cli.about", "describe"),
    "txsockjs.chatroom": ("txsockjs.demo.chatroom", "ChatRoom"),
    "txsockjs.sampleapps": ("txsockjs.demo.sampleapps", "EchoProtocol"),
}


@pytest.mark.parametrize("name", sorted(set(txsockjs.__all__) - {"__version__"}))
def test_every_public_name_imports_from_txsockjs(name):
    value = getattr(txsockjs, name)
    assert value is not None
    if name in txsockjs._PUBLIC:
        home = importlib.import_module(txsockjs._PUBLIC[name])
        assert getattr(home, name) is value


def test_unknown_names_raise_attribute_error():
    with pytest.raises(AttributeError, match="NoSuchThing"):
        txsockjs.NoSuchThing  # noqa: B018


def test_import_txsockjs_is_cheap():
    # The public names are imported when first used: twisted.web and the factory are not
    # loaded by ``import txsockjs`` alone.
    code = ("import sys, txsockjs; "
            "print(sorted(m for m in ('twisted.web.server', 'txsockjs.factory', 'txsockjs.web')"
            " if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_drop_in_path_stays_without_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from txsockjs.factory import SockJSFactory, SockJSMultiFactory
    assert txsockjs.SockJSFactory is SockJSFactory
    assert txsockjs.SockJSMultiFactory is SockJSMultiFactory


@pytest.mark.parametrize("old", sorted(MOVED))
def test_moved_modules_keep_working_with_a_deprecation_warning(old):
    new, name = MOVED[old]
    module = importlib.import_module(old)
    with pytest.warns(DeprecationWarning, match="%s moved to %s" % (old, new)):
        value = getattr(module, name)
    assert value is getattr(importlib.import_module(new), name)


def test_no_two_modules_have_the_same_name():
    seen = {}
    for path in PACKAGE.rglob("*"):
        if path.suffix not in (".py", ".pyx") or path.name == "__init__.py":
            continue
        if path.parent == PACKAGE and path.stem in MOVED_STEMS:
            continue  # (the deprecated forwarders of moved modules)
        stem = path.stem
        assert stem not in seen or seen[stem] == path.with_suffix(""), (path, seen[stem])
        seen.setdefault(stem, path.with_suffix(""))
    packages = {p.name for p in PACKAGE.rglob("*") if (p / "__init__.py").exists()}
    assert not packages & set(seen), "a package and a module share a name"


MOVED_STEMS = {old.rsplit(".", 1)[1] for old in MOVED} | {"__main__"}
