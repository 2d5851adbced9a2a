"""``twistd sockjs`` and ``python -m txsockjs serve``: one command line, one service.

::

    twistd -n sockjs --factory myapp.chat.ChatFactory --heartbeat 10
    twistd -n sockjs --listen tcp:8080 --proxy tcp:127.0.0.1:6667
    twistd -n sockjs --static site/ --prefix app --factory myapp.chat.ChatFactory
    python -m txsockjs serve --proxy tcp:127.0.0.1:4000 --proxy-encoding base64

Every SockJS option is a flag named after it (``--cookie-needed true``,
``--max-message-size 65536``), read by :mod:`txsockjs.cli.optiontext`.

``--static DIR`` serves the directory at ``/`` and the service beside it at
``/PREFIX`` (so a ``--prefix`` is required): a twisted.web ``SockJSSite``
whose root is ``File(DIR)`` with a ``SockJSResource`` at the prefix.
"""

import os
import sys
from typing import TYPE_CHECKING, Any, List, NoReturn, Optional, Sequence, Union

from twisted.application.internet import StreamServerEndpointService
from twisted.application.service import Service
from twisted.internet.endpoints import serverFromString
from twisted.python import usage

from txsockjs.cli.optiontext import (
    flag_error, import_name, option_from_text, option_help, option_types)
from txsockjs.options import OptionError, Options
from txsockjs.service import SockJSService

if TYPE_CHECKING:
    from txsockjs.factory import SockJSMultiFactory
    from txsockjs.interfaces import ProtocolFactory, SockJSOptions
    from txsockjs.web import SockJSSite

DEFAULT_LISTEN = "tcp:8080:interface=127.0.0.1"


def _flag(name: str) -> str:
    return name.replace("_", "-")


class ServeOptions(usage.Options):
    synopsis = "[options] (--factory package.module.name | --proxy CLIENT_ENDPOINT)"
    longdesc = ("Serve a Twisted protocol factory, or bridge to a TCP service, over SockJS. "
                "SockJS options are flags named after them, e.g. --heartbeat 10 --websocket false.")

    optParameters: List[Any] = [
        ["listen", "l", DEFAULT_LISTEN, "server endpoint to listen on"],
        ["prefix", None, "", "URL path of the service (default: the root)"],
        ["factory", "f", None,
         "package.module.name of a protocol factory, or of a callable returning one"],
        ["proxy", "p", None,
         "client endpoint each session connects to, e.g. tcp:127.0.0.1:6667"],
        ["proxy-encoding", None, "text",
         "text (UTF-8 messages) or base64 (binary protocols), with --proxy"],
        ["static", None, None,
         "serve this directory at / beside the service (then give a --prefix)"],
    ] + [[_flag(name), None, None, "SockJS option: %s" % (text or name,)]
         for name, text in option_help().items()]

    # (typed here: usage.Options.__init__ carries no annotations)
    def __init__(self) -> None:
        usage.Options.__init__(self)

    def postOptions(self) -> None:
        if (self["factory"] is None) == (self["proxy"] is None):
            raise usage.UsageError("give exactly one of --factory and --proxy")
        if self["static"] is not None:
            if not self["prefix"].strip("/"):
                raise usage.UsageError("--static serves the directory at /: give the service "
                                       "a --prefix (e.g. --prefix app serves it at /app)")
            if not os.path.isdir(self["static"]):
                raise usage.UsageError("--static: %s is not a directory" % (self["static"],))
        if self["factory"] is None and self["proxy-encoding"] not in ("text", "base64"):
            raise usage.UsageError("--proxy-encoding must be text or base64, not %r"
                                   % (self["proxy-encoding"],))
        try:
            sockjs = dict(option_from_text(name, self[_flag(name)])
                          for name in option_types() if self[_flag(name)] is not None)
            Options.from_dict(sockjs)
        except OptionError as error:
            raise usage.UsageError(flag_error(error))
        self["sockjs-options"] = sockjs
        if self["factory"] is not None:
            self["app"] = load_factory(self["factory"])


def load_factory(dotted: str) -> Any:
    """The protocol factory named by ``dotted``: the object, or what calling it gives."""
    try:
        obj = import_name(dotted)
    except ValueError as error:
        raise usage.UsageError("--factory: %s" % (error,))
    if not hasattr(obj, "buildProtocol") and callable(obj):
        try:
            obj = obj()
        except Exception as error:
            raise usage.UsageError("--factory: calling %s failed: %s" % (dotted, error))
    if not hasattr(obj, "buildProtocol"):
        raise usage.UsageError("--factory: %s is not a protocol factory (no buildProtocol)"
                               % (dotted,))
    return obj


class SockJSServerService(SockJSService):
    """SockJSService made for the command line: when the endpoint cannot
    listen at start (the port is in use) it writes one line to stderr and
    exits with status 2."""

    # A failure to listen at start raises from privilegedStartService (Twisted's
    # StreamServerEndpointService does so, as for twisted.application.strports);
    # a later one is logged and the process keeps running, as twistd would.
    _raiseSynchronously = True

    # ``endpoint`` provides IStreamServerEndpoint (a zope interface: Any to mypy).
    def __init__(self, endpoint: Any, site: "Union[SockJSMultiFactory, SockJSSite]",
                 description: str = "", what: str = "", pidfile: Optional[str] = None) -> None:
        """``pidfile``: the one twistd wrote for this process, removed if it exits here."""
        SockJSService.__init__(self, endpoint, site)
        self.description = description
        self.what = what
        self.pidfile = pidfile
        # the command's name, which its one-line errors start with
        self.command = "txsockjs"

    def privilegedStartService(self) -> None:
        # A port in use is known while the command can still exit with a status.
        try:
            # (named on Twisted's class: its methods are unannotated, see pyproject)
            StreamServerEndpointService.privilegedStartService(self)
        except Exception as error:
            # twistd removes its pidfile after an Exception, not after SystemExit
            _remove_own_pidfile(self.pidfile)
            fail(self.command, "cannot listen on %s: %s" % (self.description, error))

    def _listening(self, port: Any) -> None:
        self.port = port
        self.log.info("txsockjs serving {what} on {address}", what=self.what,
                      address=_address(port.getHost()))


def _remove_own_pidfile(path: Optional[str]) -> None:
    # Only if it holds this process's id: never another live twistd's.
    if not path:
        return
    try:
        with open(path) as written:
            ours = written.read().strip() == str(os.getpid())
        if ours:
            os.remove(path)
    except OSError:
        pass


def _address(address: Any) -> str:
    host, port = getattr(address, "host", None), getattr(address, "port", None)
    if host is not None and port is not None:
        return "http://%s:%d/" % ("[%s]" % host if ":" in host else host, port)
    return str(address)


def makeService(config: usage.Options, reactor: Any = None) -> SockJSServerService:
    """The service for parsed ServeOptions."""
    if reactor is None:
        from twisted.internet import reactor
    from txsockjs.factory import SockJSMultiFactory
    site: "Union[SockJSMultiFactory, SockJSSite]"
    if config["proxy"] is not None:
        from txsockjs.proxy import ProxyFactory
        try:
            app = ProxyFactory(config["proxy"], config["proxy-encoding"], reactor=reactor)
        except ValueError as error:
            raise usage.UsageError("--proxy: %s" % (error,))
        what = "a proxy to %s" % (config["proxy"],)
    else:
        app, what = config["app"], config["factory"]
    try:
        if config["static"] is not None:
            site = static_site(config["static"], config["prefix"], app,
                               config["sockjs-options"], reactor)
            what += " at /%s beside %s" % (config["prefix"].strip("/"), config["static"])
        else:
            site = SockJSMultiFactory(reactor)
            site.addFactory(app, config["prefix"], config["sockjs-options"])
        endpoint = serverFromString(reactor, config["listen"])
    except ValueError as error:
        raise usage.UsageError(str(error))
    # twistd's own options (its --pidfile) are the parent of the plugin's
    twistd = getattr(config, "parent", None)
    pidfile = twistd.get("pidfile") if twistd is not None else None
    return SockJSServerService(endpoint, site, config["listen"], what, pidfile)


def static_site(directory: str, prefix: str, factory: "ProtocolFactory",
                options: "Optional[SockJSOptions]" = None, reactor: Any = None) -> "SockJSSite":
    """A SockJSSite serving ``directory`` at ``/`` and ``factory`` over
    SockJS at ``/prefix`` (``a/b`` nests: the static files under ``/a/``
    are still served)."""
    from twisted.web.static import File
    from txsockjs.factory import validate_prefix
    from txsockjs.web import SockJSResource, SockJSSite
    segments = validate_prefix(prefix).split("/")
    if segments == [""]:
        raise ValueError("a service beside static files needs a prefix")
    # (Any: without a plugin mypy cannot see that a File provides IResource)
    root = node = File(directory)
    for segment in segments[:-1]:
        directory = os.path.join(directory, segment)
        child: Any = File(directory)
        node.putChild(segment.encode("ascii"), child)
        node = child
    # (Any: without a plugin mypy cannot see that a Resource provides IResource)
    resource: Any = SockJSResource(factory, options, reactor)
    node.putChild(segments[-1].encode("ascii"), resource)
    return SockJSSite(root)


class TwistdOptions(ServeOptions):
    """``twistd sockjs``: a bad option is one line on stderr and exit status 2
    (twistd itself would print the whole usage and exit with 1); modules are
    found in the working directory, as by ``python -m txsockjs serve``."""

    def parseOptions(self, options: Optional[Sequence[str]] = None) -> None:
        # ``python -m txsockjs serve`` finds --factory myapp.chat.factory in the
        # working directory (``python -m`` puts it on sys.path); the twistd
        # script does not.  Appended, so it shadows no installed module.
        if os.getcwd() not in sys.path and "" not in sys.path:
            sys.path.append(os.getcwd())
        try:
            usage.Options.parseOptions(self, options)  # (ServeOptions has none of its own)
        except usage.UsageError as error:
            fail("twistd sockjs", error)


def make_service_or_exit(command: str, config: usage.Options,
                         reactor: Any = None) -> SockJSServerService:
    try:
        service = makeService(config, reactor)
    except usage.UsageError as error:
        fail(command, error)
    service.command = command
    return service


class ServeCommandOptions(ServeOptions):
    synopsis = "Usage: python -m txsockjs serve " + ServeOptions.synopsis


def serve(argv: Sequence[str], reactor: Any = None) -> None:
    """``python -m txsockjs serve``: the twistd plugin's service, run in the
    foreground with logs on stderr; SIGTERM and SIGINT stop it cleanly."""
    command = "python -m txsockjs serve"
    config: usage.Options = ServeCommandOptions()
    try:
        config.parseOptions(argv)
    except usage.UsageError as error:
        fail(command, error)
    if reactor is None:
        from twisted.internet import reactor
    from twisted.logger import globalLogBeginner, textFileLogObserver
    # (as a twisted Service: its methods carry no annotations)
    service: Service = make_service_or_exit(command, config, reactor)
    to_stderr: Any = textFileLogObserver(sys.stderr)  # (an ILogObserver: a zope interface)
    globalLogBeginner.beginLoggingTo([to_stderr], redirectStandardIO=False)
    service.privilegedStartService()
    service.startService()
    reactor.addSystemEventTrigger("before", "shutdown", service.stopService)
    reactor.run()


def fail(command: str, error: object) -> NoReturn:
    """One line on the process's real stderr (twistd may have redirected
    sys.stderr into its log by now), then exit status 2."""
    stderr = sys.__stderr__ or sys.stderr
    stderr.write("%s: %s\n" % (command, error))
    stderr.flush()
    raise SystemExit(2)
