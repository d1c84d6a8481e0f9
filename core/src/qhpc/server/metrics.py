"""Operators' metrics in Prometheus' format (``GET /metrics``), with the official prometheus-client.

* ``qhpc_jobs{state}`` and ``qhpc_queue_length{backend}``: read from the store at each scrape, so
  they are right whichever process changed the jobs;
* ``qhpc_job_stage_seconds{stage}``: how long each pipeline stage took (convert, validate,
  compile, schedule, run, verify...), from the stage events the executor records (this process
  follows them, so it needs no shared memory with the executor);
* ``qhpc_jobs_finished_total{status}``, ``qhpc_jobs_submitted_total{backend}``,
  ``qhpc_submit_seconds`` (time to answer a submission, durable commit included),
  ``qhpc_submissions_refused_total{reason}``, ``qhpc_auth_failures_total``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from ..store import Store

log = logging.getLogger("qhpc.server")

STAGE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800)
SUBMIT_BUCKETS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)


class _StoreCollector(Collector):
    def __init__(self, store: Store) -> None:
        self.store = store

    def collect(self) -> Iterator[GaugeMetricFamily]:
        states = GaugeMetricFamily("qhpc_jobs", "Jobs in the store by state", labels=["state"])
        queues = GaugeMetricFamily("qhpc_queue_length", "Queued jobs per backend", labels=["backend"])
        try:
            counts = self.store.accounting.jobs_by_state()
            for state in ("QUEUED", "RUNNING", "DONE", "FAILED", "CANCELLED"):
                states.add_metric([state], counts.get(state, 0))
            for backend, length in sorted(self.store.accounting.queue_lengths().items()):
                queues.add_metric([backend], length)
        except Exception as exc:  # a scrape must not fail because the database hiccups
            log.warning("metrics: cannot read the store: %s", exc)
        yield states
        yield queues


class Metrics:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.registry = CollectorRegistry()
        registry = self.registry
        self.submitted = Counter("qhpc_jobs_submitted", "Jobs accepted", ["backend"], registry=registry)
        self.refused = Counter("qhpc_submissions_refused", "Submissions refused", ["reason"], registry=registry)
        self.auth_failures = Counter("qhpc_auth_failures", "Failed authentications", registry=registry)
        self.submit_seconds = Histogram("qhpc_submit_seconds", "Time to accept a submission (durably)",
                                        buckets=SUBMIT_BUCKETS, registry=registry)
        self.stage_seconds = Histogram("qhpc_job_stage_seconds", "Seconds per pipeline stage of a job", ["stage"],
                                       buckets=STAGE_BUCKETS, registry=registry)
        self.finished = Counter("qhpc_jobs_finished", "Jobs that finished", ["status"], registry=registry)
        registry.register(_StoreCollector(store))
        self._last_event = store.accounting.last_event_id()
        self._lock = threading.Lock()

    def follow(self) -> None:
        """Take in the stage timings and outcomes recorded since the last call."""
        with self._lock:
            self._follow()

    def _follow(self) -> None:
        while True:
            rows = self.store.accounting.stage_events_after(self._last_event)
            for event_id, kind, stage, seconds in rows:
                if kind == "stage":
                    self.stage_seconds.labels(stage).observe(seconds)
                else:
                    self.finished.labels(kind.upper()).inc()
                self._last_event = event_id
            if len(rows) < 5000:
                return

    def render(self) -> bytes:
        return generate_latest(self.registry)
