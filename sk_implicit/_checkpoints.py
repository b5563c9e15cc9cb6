"""The final path, integrated alongside the cross-validation folds.

The estimator's final path (the full data, from ``theta = 0`` to the chosen
time ``t*``) used to be integrated after the cross-validation, in a second
run of as many steps. It now runs in the folds' batch, one more problem per
init scale, so its steps cost a share of the folds' iterations, not
iterations of their own. But ``t*`` is known only when the folds stop, and
the full path may by then be past it, or behind it (it runs at a finer
tolerance than the folds). So its states are kept as
:class:`~sk_implicit._path.Snapshot` s, and the path is resumed from the last
one at or before ``t*``: one step where it was past ``t*``, more where it
lagged (measured: 8 to 20 steps of 110 to 173, with the folds at 4 times its
tolerance).

Which states can be needed: ``t*`` is the time of the mean validation
curve's first minimum, and the minimum so far only moves later (a new
minimum is lower, at a time not yet seen). So of the states at or before
the current minimum's time only the last is kept (the anchor); the later
ones are kept while they fit in a budget of memory, after which every other
one is dropped (the resumed path then has a longer way to go, never a wrong
start).
"""

from bisect import bisect_right

# Memory for the kept states of one init scale's path (a state holds ``theta``
# and the lazy update's residuals: d + n float64; its working-set index is
# shared with the integrator while it lasts): at most this many bytes, but at
# least 4 states (so at d = 4000 every state of a fit is kept; at d = 1e6,
# 4 states, 32 MB).
_BUDGET_BYTES = 2**25
_MIN_STATES = 4


class FinalPathCheckpoints:
    """The final path's accepted steps and resumable states, as the run goes.

    Parameters
    ----------
    n_features, n_samples : int
        Sizes of a state (its ``theta`` and lazy update), for the budget.
    """

    def __init__(self, n_features, n_samples=0):
        size = 8 * max(n_features + n_samples, 1)
        self.max_states = max(_MIN_STATES, _BUDGET_BYTES // size)
        self.times, self.losses = [], []  # every accepted step (for the curves)
        self.states = []  # Snapshots, by increasing time
        self._state_times = []

    def add(self, loss, snapshot, not_before):
        """Record the path's iterate; ``not_before`` bounds ``t*`` from below."""
        time = snapshot.time
        # A rejected step leaves the time as it was, an undone one (its loss
        # went up) moves it back: what came after is no longer the path.
        while self.times and self.times[-1] >= time:
            self.times.pop()
            self.losses.pop()
        while self.states and self._state_times[-1] >= time:
            self.states.pop()
            self._state_times.pop()
        self.times.append(time)
        self.losses.append(float(loss))
        self.states.append(snapshot)
        self._state_times.append(time)
        # Of the states at or before not_before, only the last can be needed.
        anchor = bisect_right(self._state_times, not_before) - 1
        if anchor > 0:
            del self.states[:anchor], self._state_times[:anchor]
        if len(self.states) > self.max_states:
            # Keep the anchor and the newest, and every other in between.
            self.states[1:] = self.states[:0:-1][::2][::-1]
            self._state_times = [state.time for state in self.states]

    def resume_point(self, time):
        """The last state at or before ``time``, and the curves up to it.

        Returns ``(snapshot, times, losses)``. (``time`` is never before the
        anchor; were it so by round-off, the anchor is returned.)
        """
        i = max(bisect_right(self._state_times, time) - 1, 0)
        snapshot = self.states[i]
        kept = bisect_right(self.times, snapshot.time)
        return snapshot, self.times[:kept], self.losses[:kept]
