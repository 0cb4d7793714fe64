"""APScheduler wiring: wake at the next due timer, and sweep now and then for anything missed
(a timer created by another replica, a restart, a clock jump). The work is in services.timers."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler

from service.container import Container
from service.services import interruptions, timers, webhook_delivery
from service.timeutil import utcnow

log = logging.getLogger(__name__)


class TimerScheduler:
    def __init__(self, app: Container, sweep_seconds: float = 10.0) -> None:
        self.app = app
        self.sweep_seconds = sweep_seconds
        self.worker = timers.worker_name()
        self._scheduler: BackgroundScheduler | None = None
        self._lock = threading.Lock()
        self._plan_lock = threading.Lock()
        self._wake_at: datetime | None = None

    def start(self) -> None:
        scheduler = BackgroundScheduler(timezone=UTC, job_defaults={"coalesce": True, "max_instances": 1})
        # Runs at once: timers that fell due while the service was down fire right after start-up.
        scheduler.add_job(
            self.tick, "interval", seconds=self.sweep_seconds, id="sweep", next_run_time=datetime.now(UTC)
        )
        # Webhooks in their own job: a slow receiver never holds up a due timer.
        scheduler.add_job(
            self.deliver_webhooks,
            "interval",
            seconds=self.app.settings.webhook_sweep_seconds,
            id="webhooks",
            next_run_time=datetime.now(UTC),
        )
        scheduler.start()
        self._scheduler = scheduler
        log.info("timer scheduler %s started (sweep every %ss)", self.worker, self.sweep_seconds)

    def shutdown(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None

    def tick(self) -> int:
        """Fire everything due, then arrange to wake for the next one."""
        with self._lock:
            try:
                interruptions.recover_interrupted(self.app)
            except Exception:
                log.exception("recovering interrupted work failed")
            try:
                fired = timers.fire_due(self.app, self.worker)
            except Exception:
                log.exception("timer sweep failed")
                fired = 0
            self._plan(timers.next_due(self.app))
            return fired

    def deliver_webhooks(self) -> int:
        try:
            return webhook_delivery.tick(self.app, self.worker)
        except Exception:
            log.exception("webhook delivery failed")
            return 0

    def notify(self, due_at: datetime) -> None:
        """A timer was just created here: wake for it if it is earlier than the next wake."""
        self._plan(due_at)

    def _plan(self, due_at: datetime | None) -> None:
        if self._scheduler is None or due_at is None:
            return
        with self._plan_lock:  # notify() runs on request threads, tick() on the scheduler's
            now = utcnow()
            # A timer already due but not fired (still settling elsewhere) is retried shortly.
            run_at = due_at if due_at > now else now + timedelta(milliseconds=200)
            if run_at - now > timedelta(seconds=self.sweep_seconds):
                return  # the sweep comes first
            if self._wake_at is not None and now < self._wake_at <= run_at:
                return
            self._wake_at = run_at
            self._scheduler.add_job(self.tick, "date", run_date=run_at, id="wake", replace_existing=True)
