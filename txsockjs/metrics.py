"""Prometheus metrics for a txsockjs factory (the ``txsockjs[metrics]`` extra).

::

    from txsockjs.metrics import register
    register(factory)          # into prometheus_client.REGISTRY

then serve them with prometheus-client's own Twisted resource or HTTP server
(see the monitoring guide).  :class:`SockJSCollector` reads
``factory.stats()`` at scrape time: the server counts in plain ints, so the
hot path never touches a Prometheus object.

Every series of a known label value is exposed from the start (at 0), so a
first increment is seen by ``rate()``; HTTP statuses appear once sent.
"""

from typing import Any, Iterable, Iterator, List, Mapping, Union

from txsockjs.extras import needs_extra
from txsockjs.server.stats import CLOSE_REASONS, POLICIES, REJECT_REASONS, TRANSPORT_NAMES

with needs_extra("metrics", "txsockjs.metrics"):
    from prometheus_client import REGISTRY
    from prometheus_client.registry import CollectorRegistry
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

__all__ = ["SockJSCollector", "register"]

DIRECTIONS = ("in", "out")

# (stats() key, metric name, help, label, known label values) of each
# per-service family; the sessions gauge is the one that is not a counter.
_SERVICE_FAMILIES = (
    ("sessions", "txsockjs_sessions", "SockJS sessions open now.", "transport",
     TRANSPORT_NAMES),
    ("sessions_opened_total", "txsockjs_sessions_opened_total", "SockJS sessions opened.",
     "transport", TRANSPORT_NAMES),
    ("sessions_closed_total", "txsockjs_sessions_closed_total",
     "SockJS sessions closed, by why they closed.", "reason", CLOSE_REASONS),
    ("messages_total", "txsockjs_messages_total",
     "Messages, client to application (in) and application to client (out).", "direction",
     DIRECTIONS),
    ("bytes_total", "txsockjs_bytes_total",
     "UTF-8 bytes of message payloads, client to application (in) and application to "
     "client (out).", "direction", DIRECTIONS),
    ("send_overflows_total", "txsockjs_send_overflows_total",
     "Send buffer overflows: sessions closed (close) or messages dropped (drop_oldest, "
     "drop_newest).", "policy", POLICIES),
    ("rejected_total", "txsockjs_rejected_total", "Sessions (or later requests of one) refused.",
     "reason", REJECT_REASONS),
)


class SockJSCollector(object):
    """A prometheus_client collector for every service of ``factory``
    (a SockJSFactory or SockJSMultiFactory)."""

    # ``factory``: anything with ``stats()`` shaped as SockJSFactory's
    # (SockJSResource's too).
    def __init__(self, factory: Any) -> None:
        self.factory = factory

    def describe(self) -> List[Any]:
        # Registering must not scrape (and the series differ with the services).
        return []

    def collect(self) -> Iterator[Union[CounterMetricFamily, GaugeMetricFamily]]:
        stats = self.factory.stats()
        services = stats["services"]
        for key, name, documentation, label, known in _SERVICE_FAMILIES:
            family: Union[CounterMetricFamily, GaugeMetricFamily]
            family_type = GaugeMetricFamily if key == "sessions" else CounterMetricFamily
            family = family_type(name, documentation, labels=("service", label))
            for prefix in sorted(services):
                counts = services[prefix][key]
                for value in _label_values(known, counts):
                    family.add_metric((prefix, value), counts.get(value, 0))
            yield family
        errors = CounterMetricFamily("txsockjs_http_errors_total",
                                     "HTTP responses with a status of 400 or more.",
                                     labels=("status",))
        for status, count in sorted(stats["http_errors_total"].items()):
            errors.add_metric((status,), count)
        yield errors
        yield GaugeMetricFamily("txsockjs_buffered_bytes",
                                "Bytes queued for clients now, across every session of the server.",
                                value=stats["buffered_bytes"])
        if stats["max_buffered_bytes"] is not None:
            yield GaugeMetricFamily("txsockjs_max_buffered_bytes",
                                    "The server's memory budget for queued bytes (max_buffered_bytes).",
                                    value=stats["max_buffered_bytes"])
        overflows = CounterMetricFamily(
            "txsockjs_budget_overflows_total",
            "Sessions that applied their send_overflow policy because the server's queued bytes "
            "went past max_buffered_bytes.", labels=("policy",))
        counts = stats["budget_overflows_total"]
        for policy in _label_values(POLICIES, counts):
            overflows.add_metric((policy,), counts.get(policy, 0))
        yield overflows


def _label_values(known: Iterable[str], counts: Mapping[str, int]) -> List[str]:
    return list(known) + sorted(value for value in counts if value not in known)


def register(factory: Any, registry: CollectorRegistry = REGISTRY) -> SockJSCollector:
    """Expose ``factory``'s metrics in ``registry``; returns the collector
    (``registry.unregister(collector)`` takes them away)."""
    collector = SockJSCollector(factory)
    registry.register(collector)
    return collector
