"""The demo (:mod:`.site`: a chat page with ``/chat`` and ``/echo``), its chat room
(:mod:`.chatroom`) and the small sample applications (:mod:`.sampleapps`)."""

from txsockjs._exports import lazy_names

__all__ = ["DemoSite", "demo_site", "demo_page", "CLIENT_PATH", "STATS_PATH"]
__getattr__ = lazy_names(__name__, {name: "txsockjs.demo.site" for name in __all__})
