"""Gauges computed when /metrics is scraped, from what a function's reader finds in PostgreSQL.

A value that only the replica running a tick updates goes stale on every other replica (and `max` over
replicas would then report the stale one); a value read at scrape time is the same, current figure on
each. A reader that fails (the database is down) leaves its gauges out of that scrape rather than holding
the whole /metrics answer hostage: the function's other metrics still reach Prometheus.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

from prometheus_client.core import GaugeMetricFamily, Metric

log = logging.getLogger("bindings.metrics")

Reader = Callable[[], dict[str, float]]


class ScrapedGauges:
    """A prometheus_client collector over each function's reader: {key of SCRAPED_GAUGES: value}."""

    def __init__(self, declared: dict[str, tuple[str, str]]) -> None:
        self.declared = declared
        self._readers: dict[str, Reader] = {}

    def read_with(self, function: str, reader: Reader) -> None:
        """The function's reader; a later app of the same function (tests, the embedded runtime) replaces it."""
        self._readers[function] = reader

    def collect(self) -> Iterator[Metric]:
        families: dict[str, GaugeMetricFamily] = {}
        for function, reader in list(self._readers.items()):
            try:
                values = reader()
            except Exception as exc:
                log.warning("scraped gauges not read", extra={"function": function, "error": repr(exc)})
                continue
            for key, value in values.items():
                name, text = self.declared[key]
                family = families.setdefault(name, GaugeMetricFamily(name, text, labels=["function"]))
                family.add_metric([function], value)
        yield from families.values()
