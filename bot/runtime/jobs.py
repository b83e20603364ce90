"""Bounded background work for the bot: answers run on a fixed pool after Slack has been acked.

- at most `workers` answers compute at once, at most `max_pending` wait; beyond that the user
  is told the bot is busy (nothing silently dropped);
- each job has a deadline (queueing included): when it passes, the user gets "took too long"
  exactly once and a late result is discarded;
- `close(grace)` stops intake, lets in-flight jobs finish for up to `grace` seconds, then
  tells the users of every unfinished job that the bot is restarting (reason "shutdown") and
  cancels them: an acked question never ends in silence. Used by SIGTERM handling.

Why not Bolt's lazy listeners: they run on an unbounded-by-design executor meant for FaaS
re-invocation; we need a queue bound, per-job deadlines and a drain on shutdown.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger("vendorcheck.bot")
NOTICE_GRACE = 5.0  # at shutdown: how long "restarting, ask again" notices may take to send


class _Job:
    __slots__ = ("deadline", "deliver_timeout", "finished", "lock", "name", "work")

    def __init__(
        self,
        name: str,
        work: Callable[[], None],
        deliver_timeout: Callable[[str], None],
        deadline: float,
    ) -> None:
        self.name = name
        self.work = work
        self.deliver_timeout = deliver_timeout
        self.deadline = deadline
        self.finished = False
        self.lock = threading.Lock()

    def claim(self) -> bool:
        """True for the first caller only (the worker finishing or the watchdog timing out)."""
        with self.lock:
            if self.finished:
                return False
            self.finished = True
            return True


class AnswerService:
    def __init__(self, workers: int = 2, max_pending: int = 1000, timeout: float = 20.0) -> None:
        self.timeout = timeout
        self.max_pending = max_pending
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="vc-answer")
        self._notify = ThreadPoolExecutor(max_workers=2, thread_name_prefix="vc-timeout")
        self._lock = threading.Condition()
        self._pending = 0
        self._jobs: set[_Job] = set()
        self._accepting = True
        self._deadlines: list[tuple[float, int, _Job]] = []
        self._counter = itertools.count()
        self._watchdog = threading.Thread(target=self._watch, name="vc-watchdog", daemon=True)
        self._watchdog.start()

    @property
    def pending(self) -> int:
        return self._pending

    def submit(
        self,
        name: str,
        work: Callable[[Callable[[], bool]], None],
        on_failure: Callable[[str], None],
    ) -> bool:
        """Queue `work(claim)`; returns False when closing or full (caller tells the user).

        `work` computes, then calls `claim()` right before delivering: False means the deadline
        already passed (the user got "took too long"), so it must not deliver. `on_failure`
        gets "timeout" or "error" and tells the user.
        """
        with self._lock:
            if not self._accepting or self._pending >= self.max_pending:
                return False
            self._pending += 1
            job = _Job(name, lambda: None, on_failure, time.monotonic() + self.timeout)
            job.work = lambda: work(job.claim)
            self._jobs.add(job)
            heapq.heappush(self._deadlines, (job.deadline, next(self._counter), job))
            self._lock.notify_all()
        try:
            self._pool.submit(self._run, job)
        except RuntimeError:  # pool shut down between the check and here
            self._done(job)
            return False
        return True

    def _run(self, job: _Job) -> None:
        try:
            if job.finished:  # timed out while queued: don't waste a worker
                return
            job.work()
        except Exception:
            if job.claim():
                log.exception("answer job %s failed", job.name)
                self._safe(job.deliver_timeout, "error")
            else:  # the user already got "took too long" / "restarting" (e.g. store closed)
                log.debug("answer job %s failed after its user was told", job.name)
        finally:
            self._done(job)

    def _done(self, job: _Job) -> None:
        with self._lock:
            self._pending -= 1
            self._jobs.discard(job)
            self._lock.notify_all()

    @staticmethod
    def _safe(deliver: Callable[[str], None], reason: str) -> None:
        try:
            deliver(reason)
        except Exception:
            log.exception("could not tell the user about a %s answer", reason)

    def _watch(self) -> None:
        while True:
            with self._lock:
                while not self._deadlines:
                    self._lock.wait()
                deadline, _, job = self._deadlines[0]
                now = time.monotonic()
                if job.finished:
                    heapq.heappop(self._deadlines)
                    continue
                if deadline > now:
                    self._lock.wait(deadline - now)
                    continue
                heapq.heappop(self._deadlines)
            if job.claim():
                log.warning("answer %s took longer than %.1f s", job.name, self.timeout)
                with contextlib.suppress(RuntimeError):
                    self._notify.submit(self._safe, job.deliver_timeout, "timeout")

    def close(self, grace: float) -> bool:
        """Stop intake; wait up to `grace` s for in-flight jobs. True if all finished."""
        with self._lock:
            self._accepting = False
            end = time.monotonic() + grace
            while self._pending > 0:
                left = end - time.monotonic()
                if left <= 0:
                    break
                self._lock.wait(left)
            drained = self._pending <= 0
            unfinished = [job for job in self._jobs if job.claim()]
        self._pool.shutdown(wait=False, cancel_futures=True)
        if unfinished:
            log.warning("shutting down: %d answers did not finish in time", len(unfinished))
            notices = []
            for job in unfinished:
                with contextlib.suppress(RuntimeError):
                    notices.append(self._notify.submit(self._safe, job.deliver_timeout, "shutdown"))
            concurrent.futures.wait(notices, timeout=NOTICE_GRACE)
        self._notify.shutdown(wait=False, cancel_futures=True)
        return drained
