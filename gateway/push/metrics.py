"""Push metrics for Prometheus, read from the store when scraped: deliveries by outcome
and push service origin, the queue depth by state, and the send latency histogram."""

from __future__ import annotations

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)
from sqlalchemy import func, select

from gateway.core.store import Store
from gateway.push import stats
from gateway.push.states import CLAIMABLE
from gateway.push.tables import deliveries, notifications


class PushCollector:
    """A prometheus-client collector over the push tables."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def describe(self):
        return []  # the families are known only once the store is read

    def collect(self):
        with self.store.read() as connection:
            totals = stats.totals(connection)
            depth = dict(connection.execute(
                select(deliveries.c.state, func.count())
                .where(deliveries.c.state.in_(CLAIMABLE))
                .group_by(deliveries.c.state)).all())
            waiting = connection.execute(select(func.count()).select_from(notifications)
                                         .where(notifications.c.expanded_at.is_(None))).scalar()
            latency = stats.latency(connection)
        delivered = CounterMetricFamily(
            "gateway_push_deliveries", "Push deliveries by outcome and push service origin",
            labels=["outcome", "origin"])
        for (origin, outcome), count in sorted(totals.items()):
            delivered.add_metric([outcome, origin], count)
        yield delivered
        queue = GaugeMetricFamily("gateway_push_queue_depth",
                                  "Deliveries waiting or in flight, by state", labels=["state"])
        for state in CLAIMABLE:
            queue.add_metric([state], depth.get(state, 0))
        queue.add_metric(["unexpanded_notifications"], waiting or 0)
        yield queue
        histogram = HistogramMetricFamily("gateway_push_send_latency_seconds",
                                          "Time a push service took to answer",
                                          labels=["origin"])
        for origin, cells in sorted(latency.items()):
            running, buckets = 0.0, []
            for bound in stats.LATENCY_BUCKETS:
                running += cells.get(repr(bound), 0.0)
                buckets.append((repr(bound), running))
            buckets.append(("+Inf", running + cells.get("+Inf", 0.0)))
            histogram.add_metric([origin], buckets, sum_value=cells.get("sum", 0.0))
        yield histogram
