"""Progress of the main job on stderr: a line at once, a move per fit, time left.

A user who starts a long job must see within seconds that it runs, and how
long it will take. :class:`Progress` writes an opening line when it is
created, moves after every finished fit with an estimate of the time left,
and, while a single long fit keeps it waiting, says every so often that the
job is still running (a heartbeat thread).
"""

import sys
import threading
import time

__all__ = ["Progress", "format_duration", "plural", "run_tasks"]


def format_duration(seconds):
    """``"42s"``, ``"3m05s"`` or ``"1h02m"``.

    Parameters
    ----------
    seconds : float
        A non-negative duration.

    Returns
    -------
    text : str

    Examples
    --------
    >>> format_duration(4.2), format_duration(185), format_duration(3725)
    ('4s', '3m05s', '1h02m')
    """
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def plural(count, word):
    """``"1 fold"``, ``"3 folds"``.

    Examples
    --------
    >>> plural(1, "fold"), plural(3, "fold")
    ('1 fold', '3 folds')
    """
    return f"{count} {word}" + ("" if count == 1 else "s")


class Progress:
    """Progress of a known number of fits, written to a text stream.

    On a terminal one line is redrawn in place (and refreshed every second,
    so the clock moves during a long fit); elsewhere (logs, pipes, tests) a
    line is written per finished fit, and a "still running" line after
    ``heartbeat`` seconds without one.

    The time left is the elapsed time scaled by the work left over the work
    done, work being counted in the weights given to :meth:`update` (e.g. a
    fit's number of features, when big and small problems are mixed).

    Parameters
    ----------
    total : int
        Number of fits.
    label : str
        Start of every line.
    stream : file-like, default=None
        Where to write; ``None`` means ``sys.stderr`` at construction time.
    enabled : bool, default=True
        Write nothing when False.
    total_weight : float, default=None
        Sum of the weights of all fits; ``None`` means ``total`` (all fits
        weigh 1).
    heartbeat : float, default=None
        Seconds between two "still running" lines when no fit ends (not on a
        terminal); ``None`` means 30. The terminal line is refreshed every
        second.
    start_message : str, default=""
        Said on the opening line, e.g. what the fits are.
    """

    def __init__(
        self,
        total,
        label,
        stream=None,
        enabled=True,
        *,
        total_weight=None,
        heartbeat=None,
        start_message="",
    ):
        self.total = max(int(total), 1)
        self.total_weight = float(self.total if total_weight is None else total_weight)
        self.label = label
        self.stream = sys.stderr if stream is None else stream
        self.enabled = enabled
        self.done = 0
        self.done_weight = 0.0
        self._first_end = self._first_weight = 0.0
        self.detail = ""
        self.start = time.perf_counter()
        isatty = getattr(self.stream, "isatty", None)
        self.tty = bool(isatty and isatty())
        self.heartbeat = 30.0 if heartbeat is None else float(heartbeat)
        self._last_write = self.start
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = None
        if not enabled:
            return
        what = f" {start_message}" if start_message else ""
        self._write_line(f"{label}: {plural(self.total, 'fit')} to run{what}")
        self._thread = threading.Thread(target=self._beat, daemon=True)
        self._thread.start()

    @property
    def elapsed(self):
        """Seconds since the progress was created."""
        return time.perf_counter() - self.start

    def time_left(self):
        """Estimated seconds left, or None before the first fit ends.

        The pace is measured from the end of the first fit once a few more
        have ended: before it, the time also went to starting the parallel
        workers, which the remaining fits do not pay again.
        """
        if self.done_weight <= 0:
            return None
        left = max(self.total_weight - self.done_weight, 0.0)
        since_first = self.elapsed - self._first_end
        more = self.done_weight - self._first_weight
        if self.done >= 3 and since_first >= 1.0 and more > 0:
            return left * since_first / more
        return left * self.elapsed / self.done_weight

    def status(self):
        """The progress as text: fits done, elapsed time, time left."""
        left = self.time_left()
        if self.done >= self.total:
            eta = "done"
        elif left is None:
            eta = "time left known after the first fit"
        else:
            eta = f"about {format_duration(left)} left"
        return (
            f"{self.done}/{self.total} fits, {format_duration(self.elapsed)} "
            f"elapsed, {eta}"
        )

    def update(self, detail="", weight=1.0):
        """Record one finished fit; ``detail`` says which."""
        with self._lock:
            self.done += 1
            self.done_weight += weight
            if self.done == 1:
                self._first_end, self._first_weight = self.elapsed, weight
            self.detail = detail
            if self.enabled:
                self._show()

    def close(self):
        """Stop the heartbeat and end the terminal line."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self.enabled and self.tty:
            with self._lock:
                self.stream.write("\n")
                self.stream.flush()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def _show(self):
        detail = f" ({self.detail})" if self.detail else ""
        if self.tty:
            width = 24
            filled = int(width * self.done / self.total)
            bar = "#" * filled + "-" * (width - filled)
            line = f"{self.label} [{bar}] {self.status()}{detail}"
            # Pad to erase the tail of a longer previous line.
            self.stream.write("\r" + line[:119].ljust(119))
            self.stream.flush()
            self._last_write = time.perf_counter()
        else:
            self._write_line(f"{self.label}: {self.status()}{detail}")

    def _write_line(self, line):
        self.stream.write(line + "\n")
        self.stream.flush()
        self._last_write = time.perf_counter()

    def _beat(self):
        """Keep the user informed while no fit ends (a daemon thread)."""
        interval = 1.0 if self.tty else min(self.heartbeat, 1.0)
        while not self._stop.wait(interval):
            with self._lock:
                if self.done >= self.total:
                    return
                if self.tty:
                    self._show()
                elif time.perf_counter() - self._last_write >= self.heartbeat:
                    self._write_line(f"{self.label}: still running, {self.status()}")


def run_tasks(func, tasks, n_jobs, progress, describe, weight=None):
    """Run ``func(*task)`` for every task, in parallel if asked, with progress.

    Parameters
    ----------
    func : callable
        Called with each task's items as arguments; returns a result.
    tasks : iterable of tuple
        The tasks.
    n_jobs : int or None
        Parallel processes (joblib; -1: all cores); 1 or None: in this process.
    progress : Progress
        Updated once per finished task.
    describe : callable
        ``describe(result)`` is the detail shown by the progress.
    weight : callable, default=None
        ``weight(task)`` is the task's share of the work for the time left;
        ``None`` means 1 for every task.

    Returns
    -------
    results : list
        In completion order; callers sort them.
    """
    tasks = list(tasks)
    weights = [1.0 if weight is None else weight(task) for task in tasks]
    results = []
    if n_jobs is None or n_jobs == 1:
        for task, w in zip(tasks, weights):
            result = func(*task)
            results.append(result)
            progress.update(describe(result), w)
        return results

    from joblib import Parallel, delayed

    # Results come in completion order: each comes back with its task's
    # index, for its weight.
    parallel = Parallel(n_jobs=n_jobs, return_as="generator_unordered")
    for i, result in parallel(
        delayed(_call_indexed)(func, i, task) for i, task in enumerate(tasks)
    ):
        results.append(result)
        progress.update(describe(result), weights[i])
    return results


def _call_indexed(func, index, task):
    return index, func(*task)
