"""While training runs, the window's workers are held to a share of a core, whatever its tabs ask for.

Every worker job checks its `threading.Event` between blocks of work (`LatestTask` gives each job one). The
Event given here, `PacedEvent`, also waits there while the window's workers together have spent more CPU than
their share since training began: a token bucket filled at `cores` CPU-seconds per second, holding at most
`allowance` (a first map or a layout asked for starts at once, and then keeps pace). Each worker thread is
charged its own CPU (`time.thread_time`; while training the window computes on one thread, so that is all of
it) between its checks. Only worker threads wait: the GUI thread never does, and its own work is paced where it
is asked for. A job given up while it waits wakes at once.
"""

from __future__ import annotations

import math
import threading
import time
import weakref
from collections.abc import Callable

WINDOW_CORES = 0.04  # the window's workers' share of a core while training (its GUI thread takes ~0.06 more; 0.05
# left the Explore tab at 0.15-0.16 of a core on a slow 2-core CPU, its bar 0.15)
ALLOWANCE_S = 0.3  # CPU-seconds they may spend ahead of their share (a map or a layout begins at once)


class WindowShare:
    """The window's workers' CPU budget while training (see the module). `begin` when a run starts, `end` when
    it ends (a run given up and dropped counts no more); `charge` a worker's CPU and learn how long it should wait
    before its next block."""

    def __init__(self, cores: float = WINDOW_CORES, allowance: float = ALLOWANCE_S,
                 clock: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        self.cores, self.allowance, self._clock = cores, allowance, clock
        self._lock = threading.Lock()
        self._runs: weakref.WeakSet[object] = weakref.WeakSet()
        self._tokens = allowance
        self._filled = 0.0  # when the bucket was last filled
        self._window_threads: int | None = None  # what the window computes on when not training
        self.began = -math.inf  # when the runs going now began (the CPU of a job begun before is charged from then)

    @property
    def active(self) -> bool:
        return len(self._runs) > 0

    def begin(self, run: object, window_threads: int | None = None) -> None:
        """A run starts (`window_threads`: what the window computes on when no run is going)."""
        with self._lock:
            self._window_threads = window_threads or self._window_threads
            if not self._runs:
                self._tokens, self._filled = self.allowance, self._clock()
                self.began = self._filled
            self._runs.add(run)

    def end(self, run: object) -> None:
        with self._lock:
            self._runs.discard(run)

    def now(self) -> float:
        return self._clock()

    def threads_for_work(self) -> int | None:
        """The threads a worker's job computes on: one while training, else the window's (None: never trained)."""
        return 1 if self._runs else self._window_threads

    def charge(self, cpu_seconds: float) -> float:
        """Count a worker's CPU; the seconds it should wait now to keep its share (0 when not training)."""
        with self._lock:
            if not self._runs:
                return 0.0
            now = self._clock()
            self._tokens += (now - self._filled) * self.cores - cpu_seconds
            self._tokens = min(self.allowance, self._tokens)  # (a long block's debt is paid in full, after it)
            self._filled = now
            return max(0.0, -self._tokens / self.cores)


SHARE = WindowShare()  # the process's one budget: the training runs begin and end it, the workers keep to it
_counted = threading.local()  # each worker thread's CPU and the time when it was last charged (`mark`)


def compute_on_the_share_of_threads() -> None:
    """In a worker, as a job starts and at each of its checks: compute on `SHARE.threads_for_work()` threads.
    OpenMP keeps a thread count per thread, and a pooled worker keeps the one it first computed with: a job would
    otherwise use two cores while training, one of them uncharged (also a job begun just before Train, until it
    ends)."""
    threads = SHARE.threads_for_work()
    if threads is not None:
        import torch  # (a worker's job computes with it anyway; the first frame's imports stay light)

        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)


def begin_job() -> None:
    """In a worker, as a job starts: compute on the share's threads, and count the job's CPU from here (charged
    at its checks, and what is left as it ends: `end_job`). Counted from its previous check, a job on a pooled
    thread was charged nothing for what it did before its first (a t-SNE's affinities: 3 CPU-seconds)."""
    compute_on_the_share_of_threads()
    _counted.mark = (time.thread_time(), SHARE.now())


def end_job() -> None:
    """In a worker, as a job ends: charge what it spent since its last check (the next jobs' checks pay for it)."""
    _charge_this_thread(SHARE)


def _charge_this_thread(share: WindowShare) -> float:
    """Charge this worker's CPU since its last mark; of a span that began before the runs did, the part since."""
    used, now = time.thread_time(), share.now()
    last_used, last_now = getattr(_counted, "mark", (used, now))
    _counted.mark = (used, now)
    spent = used - last_used
    if last_now < share.began < now:
        spent *= (now - share.began) / (now - last_now)
    return share.charge(spent)


class PacedEvent(threading.Event):
    """A job's cancel Event whose `is_set`, asked between blocks in a worker, first charges the worker's CPU and
    waits while the window is over its share (see the module); set, it answers at once."""

    def __init__(self, share: WindowShare = SHARE) -> None:
        super().__init__()
        self._share = share

    def is_set(self) -> bool:
        if threading.current_thread() is not threading.main_thread():
            if self._share.active and self._share is SHARE:
                compute_on_the_share_of_threads()
            wait = _charge_this_thread(self._share)
            while wait > 0 and not self.wait(wait):
                wait = self._share.charge(0.0)
        return super().is_set()
