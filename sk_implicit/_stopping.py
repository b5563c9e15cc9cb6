"""When to stop the cross-validation paths: one policy, in one place.

The folds' validation curves are sampled on one geometric grid of times
(:class:`ValidationCurves`): each fold's curve is piecewise linear between its
steps, and the mean over folds at a grid time is known once every fold has
passed it. Building the mean costs O(1) per grid point and fold, so the whole
curve costs time linear in the number of steps.

:class:`StoppingPolicy` reads that mean curve and says when its minimum is
settled:

- ``"overfitting"``: the mean is at least ``1 + rise`` times its minimum, at
  more than ``patience`` times the minimum's time (or the time learning
  started, if later); or above its minimum at all, at more than
  ``patience**2`` times that time (a minimum that has stood that long).
  While the minimum is not ``rise`` below the curve's first value (the
  untrained model), a rise is rather the path's first picks, which later
  coordinates can undo (a denser signal: 30 coordinates at n = 150, whose
  mean curve first fell below the untrained value 2.5 to 13 times after the
  time learning started; the folds had then fitted 55% to 88% of what they
  can): while the folds' mean training progress is above
  ``untrained_progress`` (1 untrained, 0 at their floor), they go on until
  the mean has been above its minimum for ``untrained_patience`` times the
  time patience counts from (never sooner than the rule above). Folds that
  have fitted nearly everything and never beat the untrained model are
  fitting noise (features seen on one row each, at n = 1000, d = 1e6: 98%
  fitted), and stop by the rule above;
- ``"levelled"``: after the model has started to learn (every fold's training
  loss below ``learning`` of its start), the mean has not moved by more than
  ``flat`` (relative) while the time grew by ``patience``;
- ``"interpolated"``: every fold's relative training loss is below ``floor``
  (the path is at its end: nothing left to learn).

Nothing else stops the folds early: each fold runs until the policy stops all
of them (or ``max_iter``), so no fold's curve is held at a stale value, except
at ``"interpolated"``: the folds then stand at different times, each at the
end of its path, and :meth:`ValidationCurves.hold` extends each one's curve
with its last value to the latest time any fold reached (else the mean would
end at the earliest, where the folds behind had not learned what they learned
later: its minimum there was a model missing a coefficient of size 10).
"""

import math
from dataclasses import dataclass, field

import numpy as np


class ValidationCurves:
    """Mean validation curve of ``n_folds`` folds on a geometric time grid.

    Parameters
    ----------
    n_folds : int
        Number of folds.
    start : float
        First grid time (> 0).
    ratio : float
        Ratio between consecutive grid times.
    """

    def __init__(self, n_folds, start, ratio):
        self.n_folds = n_folds
        self.start = float(start)
        self.log_ratio = float(np.log(ratio))
        self._last = [None] * n_folds  # (time, value) of each fold's last point
        self._next = np.zeros(n_folds, dtype=int)  # next grid index per fold
        self._values = [[] for _ in range(n_folds)]  # per fold, on the grid
        self.mean = []  # the mean on the grid, up to the slowest fold
        self.best = 0  # index of the mean's first minimum so far
        self._cached = np.empty(0)

    def grid_time(self, index):
        return self.start * np.exp(self.log_ratio * index)

    def _grid(self, end):
        """The grid times ``0 .. end - 1``, as a cached array."""
        if end > self._cached.size:
            self._cached = self.grid_time(np.arange(max(end, 2 * self._cached.size)))
        return self._cached

    def add_many(self, folds, times, values):
        """:meth:`add` for several folds at once."""
        for fold, time, value in zip(
            np.asarray(folds).tolist(),
            np.asarray(times).tolist(),
            np.asarray(values).tolist(),
        ):
            self._add(fold, time, value)
        self._update_mean()

    def add(self, fold, time, value):
        """Record fold ``fold``'s validation value at ``time`` (increasing)."""
        self._add(fold, time, value)
        self._update_mean()

    def _update_mean(self):
        ready = int(self._next.min())
        if ready > len(self.mean):
            block = np.array([vals[len(self.mean) : ready] for vals in self._values])
            for value in block.mean(axis=0).tolist():
                if not self.mean or value < self.mean[self.best]:
                    self.best = len(self.mean)
                self.mean.append(value)

    def hold(self):
        """Extend every fold's curve with its last value, up to the last grid
        time any fold reached (for folds whose paths are at their end)."""
        end = int(self._next.max())
        for fold, values in enumerate(self._values):
            if self._last[fold] is not None and len(values) < end:
                values.extend([self._last[fold][1]] * (end - len(values)))
                self._next[fold] = end
        self._update_mean()

    def best_time(self):
        """Time of the mean's first minimum so far (0 before the mean starts).

        A later minimum is lower and later: the curve's final minimum is
        never before this time.
        """
        return self.grid_time(self.best) if self.mean else 0.0

    def _add(self, fold, time, value):
        i = self._next[fold]
        if time >= self.start:
            # Grid times up to ``time``: indices i .. end - 1. (The index by
            # math: numpy's scalar functions cost a microsecond each.)
            end = math.floor(math.log(time / self.start) / self.log_ratio) + 1
            if self.grid_time(end) <= time:  # round-off at a grid time
                end += 1
            if end > i:
                # (In Python floats: a step passes a few grid times, and a
                # numpy call costs more than that arithmetic.)
                g = self._grid(end)[i:end].tolist()
                last = self._last[fold]
                if last is None or time == last[0]:
                    v = [value] * len(g)
                else:  # linear between the fold's two points around g
                    t0, v0 = last
                    w = [min(max((t - t0) / (time - t0), 0.0), 1.0) for t in g]
                    v = [v0 + wi * (value - v0) for wi in w]
                self._values[fold].extend(v)
                self._next[fold] = end
        self._last[fold] = (time, value)

    def finish(self):
        """The curves up to the last grid time any fold reached.

        A fold's values past the last time it reached are NaN (the policy
        stops all folds at once, but they stand at different times; and a
        fold may stop at the end of its path). :attr:`mean` stays the mean
        over the times every fold reached. Returns ``(times, mse_path)`` with
        ``mse_path`` of shape (n_times, n_folds).
        """
        n_times = max(int(self._next.max()), 1)  # at least the start time
        for vals in self._values:
            vals.extend([np.nan] * (n_times - len(vals)))
        mse_path = np.array(self._values, dtype=float).T.reshape(n_times, -1)
        return self.grid_time(np.arange(n_times)), mse_path


@dataclass
class StoppingPolicy:
    """Decides, from the mean validation curve, that its minimum is settled.

    See the module docstring. ``check`` returns a reason string or None.
    """

    rise: float = 0.05
    patience: float = 2.0
    flat: float = 1e-3
    learning: float = 0.99
    floor: float = 1e-4
    untrained_patience: float = 32.0
    untrained_progress: float = 0.1
    # Grid index at which every fold had started to learn (None: not yet).
    learned_at: int | None = field(default=None, init=False)

    def check(self, curves, train_losses):
        """Reason to stop all folds now, or None.

        ``curves`` is a :class:`ValidationCurves`; ``train_losses`` the
        current relative training losses of the folds.
        """
        if np.all(np.asarray(train_losses) <= self.floor):
            return "interpolated"
        mean = curves.mean
        if not mean:
            return None
        last = len(mean) - 1
        if self.learned_at is None:
            if not np.all(np.asarray(train_losses) <= self.learning):
                return None  # nothing has moved yet: the curve is flat
            self.learned_at = last
        best = curves.best
        # Patience counts from the minimum, or from when learning started if
        # the minimum came before (the untrained model can be the best one
        # for a while, when the first coordinates learned are wrong).
        t_last = curves.grid_time(last)
        t_from = curves.grid_time(max(best, self.learned_at))
        early = np.mean(np.asarray(train_losses)) > self.untrained_progress
        if early and mean[best] >= (1.0 - self.rise) * mean[0]:
            # Learning has not helped yet, and the folds have much left to
            # fit (module docstring, "overfitting"): a longer patience, from
            # the same time (so never a stop sooner).
            if mean[last] > mean[best] and t_last > self.untrained_patience * t_from:
                return "overfitting"
            return self._levelled(curves, last, best)
        if mean[last] >= (1.0 + self.rise) * mean[best] and t_last > (
            self.patience * t_from
        ):
            return "overfitting"
        # A minimum that has stood for patience^2 times its time, however
        # small the rise since (when fitting noise barely moves the
        # validation error, e.g. features seen on one row each).
        if mean[last] > mean[best] and t_last > self.patience**2 * t_from:
            return "overfitting"
        return self._levelled(curves, last, best)

    def _levelled(self, curves, last, best):
        """The reason "levelled", or None (module docstring)."""
        mean = curves.mean
        # Flat since the time t_last / patience, itself after learning
        # started (before, the curve is flat because nothing moves).
        back = last - int(np.ceil(np.log(self.patience) / curves.log_ratio))
        if back >= self.learned_at:
            window = np.asarray(mean[back:])
            scale = max(abs(mean[best]), np.finfo(float).tiny)
            if np.ptp(window) <= self.flat * scale:
                return "levelled"
        return None
