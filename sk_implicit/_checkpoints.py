"""The final path, integrated alongside the cross-validation folds.

The estimator's final path (the full data, from ``theta = 0`` to the chosen
time ``t*``) used to be integrated after the cross-validation, in a second
run of as many steps. It now runs in the folds' batch, one more problem per
init scale, so its steps cost a share of the folds' iterations, not
iterations of their own. But ``t*`` is known only when the folds stop, and
the full path may by then be past it (or not yet there). So its states are
kept as :class:`~sk_implicit._path.Snapshot` s, and the path is resumed from
the last one at or before ``t*`` (a step or two, usually a fraction of one).

Which states can be needed: ``t*`` is the time of the mean validation
curve's first minimum, and the minimum so far only moves later (a new
minimum is lower, at a time not yet seen). So of the states at or before
the current minimum's time only the last is kept (the anchor); the later
ones are kept while they fit in a budget of memory, after which every other
one is dropped (the resumed path then has a longer way to go, never a wrong
start).
"""

# Memory for the kept states, in float64 vectors of the features' length:
# at most this many bytes, but at least 4 states (so at d = 4000 every state
# of a fit is kept; at d = 1e6, 4 vectors, 32 MB).
_BUDGET_BYTES = 2**25
_MIN_STATES = 4


class FinalPathCheckpoints:
    """The final path's accepted steps and resumable states, as the run goes.

    Parameters
    ----------
    n_features : int
        Length of a state (its ``theta``), for the memory budget.
    """

    def __init__(self, n_features):
        self.max_states = max(_MIN_STATES, _BUDGET_BYTES // (8 * max(n_features, 1)))
        self.times, self.losses = [], []  # every accepted step (for the curves)
        self.states = []  # Snapshots, by increasing time

    def add(self, loss, snapshot, not_before):
        """Record the path's iterate; ``not_before`` bounds ``t*`` from below."""
        time = snapshot.time
        # A rejected step leaves the time as it was, an undone one (its loss
        # went up) moves it back: what came after is no longer the path.
        while self.times and self.times[-1] >= time:
            self.times.pop()
            self.losses.pop()
        while self.states and self.states[-1].time >= time:
            self.states.pop()
        self.times.append(time)
        self.losses.append(float(loss))
        self.states.append(snapshot)
        # Of the states at or before not_before, only the last can be needed.
        anchor = sum(state.time <= not_before for state in self.states) - 1
        if anchor > 0:
            del self.states[:anchor]
        if len(self.states) > self.max_states:
            # Keep the anchor and the newest, and every other in between.
            self.states[1:] = self.states[:0:-1][::2][::-1]

    def resume_point(self, time):
        """The last state at or before ``time``, and the curves up to it.

        Returns ``(snapshot, times, losses)``.
        """
        snapshot = [state for state in self.states if state.time <= time][-1]
        kept = sum(t <= snapshot.time for t in self.times)
        return snapshot, self.times[:kept], self.losses[:kept]
