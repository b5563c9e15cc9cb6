"""The final path's checkpoints (sk_implicit._checkpoints), on made-up iterates."""

from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sk_implicit._checkpoints import FinalPathCheckpoints


def _state(time, label=None):
    # FinalPathCheckpoints reads only a snapshot's time.
    return SimpleNamespace(time=time, label=label)


def test_keeps_every_state_after_the_minimum_and_the_last_before():
    points = FinalPathCheckpoints(n_features=10)
    for time, not_before in [(0, 0), (1, 0), (2, 1.5), (3, 1.5), (4, 2.5), (5, 2.5)]:
        points.add(loss=10.0 - time, snapshot=_state(time), not_before=not_before)
    assert [s.time for s in points.states] == [2, 3, 4, 5]
    assert points.times == [0, 1, 2, 3, 4, 5]
    snapshot, times, losses = points.resume_point(3.5)
    assert snapshot.time == 3
    assert times == [0, 1, 2, 3] and losses == [10, 9, 8, 7]
    assert points.resume_point(2.5)[0].time == 2
    assert points.resume_point(9.0)[0].time == 5


def test_an_undone_or_rejected_step_replaces_what_came_after():
    points = FinalPathCheckpoints(n_features=10)
    for time in (0, 1, 2, 3):
        points.add(1.0, _state(time, "first"), not_before=0)
    # The step to 3 was undone (back at 2), then a rejected step at 2.
    points.add(0.5, _state(2, "again"), not_before=0)
    points.add(0.5, _state(2, "rejected"), not_before=0)
    assert points.times == [0, 1, 2]
    assert [s.label for s in points.states] == ["first", "first", "rejected"]
    assert points.resume_point(10.0)[0].label == "rejected"


def test_thinning_keeps_the_anchor_and_the_newest():
    points = FinalPathCheckpoints(n_features=2**30)  # the floor: 4 states
    assert points.max_states == 4
    for time in range(20):
        points.add(1.0, _state(float(time)), not_before=3.5)
        assert len(points.states) <= 4
        assert points.states[-1].time == time
    assert points.states[0].time == 3.0  # the last at or before 3.5
    assert len(points.times) == 20  # the curves are never thinned


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from([-1.0, 0.0, 0.5, 1.0, 2.0]),  # undone, rejected, steps
            st.floats(0.0, 1.0),  # how far not_before moves up
        ),
        min_size=1,
        max_size=60,
    ),
    n_features=st.sampled_from([2**30, 10]),  # with and without thinning
    query=st.floats(0.0, 100.0),
)
def test_the_resume_point_is_the_last_valid_state_before_the_time(
    steps, n_features, query
):
    # Replays a run: time moves on, stays (rejection) or goes back one step
    # (undo); not_before only grows. For
    # any t at or after the last not_before, resume_point(t) must be a
    # state of the path as it stands (not an undone one) at or before t,
    # and the last such state when nothing was thinned.
    points = FinalPathCheckpoints(n_features)
    path = [0.0]  # times of the path as it stands
    not_before = 0.0
    points.add(0.0, _state(0.0), not_before)
    for move, rise in steps:
        if move < 0 and len(path) > 1:
            path.pop()
        elif move > 0:
            path.append(path[-1] + move)
        # (The full path may be behind the folds: not_before can pass it.)
        not_before = max(not_before, 1.5 * rise * path[-1])
        points.add(0.0, _state(path[-1]), not_before)
    assert points.times == path
    t = not_before + query
    snapshot, times, _ = points.resume_point(t)
    assert snapshot.time <= t and snapshot.time in path
    assert times == [p for p in path if p <= snapshot.time]
    if n_features == 10:
        assert snapshot.time == max(p for p in path if p <= t)


def test_the_budget_follows_the_size_of_a_state():
    assert FinalPathCheckpoints(4000, 100).max_states == 2**25 // (8 * 4100)
    assert FinalPathCheckpoints(10**6, 1000).max_states == 4


@pytest.mark.parametrize("not_before", [0.0, 5.0])
def test_a_state_at_the_time_itself_is_used(not_before):
    points = FinalPathCheckpoints(10)
    for time in range(10):
        points.add(0.0, _state(float(time)), not_before=min(not_before, time))
    assert points.resume_point(7.0)[0].time == 7.0
