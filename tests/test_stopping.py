"""The cross-validation's stopping policy, on synthetic validation curves."""

import numpy as np
import pytest

from sk_implicit._stopping import StoppingPolicy, ValidationCurves


def feed(curves, policy, fold_curves, times, train_loss=0.5):
    """Feed curves step by step; return (reason, time) at the first stop."""
    for i, t in enumerate(times):
        for fold, curve in enumerate(fold_curves):
            curves.add(fold, t, curve(t))
        reason = policy.check(curves, np.full(len(fold_curves), train_loss(t)))
        if reason is not None:
            return reason, t
    return None, times[-1]


def test_mean_curve_interpolates_each_fold_on_the_grid():
    # Folds sampled at different times: the mean on the grid is the mean of
    # their piecewise-linear interpolants, known up to the slowest fold.
    curves = ValidationCurves(2, start=1.0, ratio=2.0)  # grid 1, 2, 4, 8
    for t in (0.5, 3.0, 9.0):
        curves.add(0, t, t)  # v = t, linear: exact at the grid
    assert curves.mean == []  # fold 1 has not passed any grid time
    for t in (1.0, 5.0):
        curves.add(1, t, 2 * t)
    # Grid 1, 2, 4 passed by both: fold 0 gives 1, 2, 4; fold 1 gives 2, 4, 8.
    np.testing.assert_allclose(curves.mean, [1.5, 3.0, 6.0])
    times, mse_path = curves.finish()
    np.testing.assert_allclose(times, [1.0, 2.0, 4.0, 8.0])
    # Fold 1 stopped at t = 5: it has no value at t = 8 (NaN, not a stale
    # value that would flatter the mean), and the mean stays on 1, 2, 4.
    np.testing.assert_allclose(mse_path[:, 1], [2.0, 4.0, 8.0, np.nan])
    np.testing.assert_allclose(mse_path[:, 0], [1.0, 2.0, 4.0, 8.0])
    np.testing.assert_allclose(curves.mean, [1.5, 3.0, 6.0])


def test_building_the_mean_is_linear_in_the_steps():
    curves = ValidationCurves(3, start=1.0, ratio=1.01)
    times = np.geomspace(1.0, 1e3, 5000)
    for t in times:
        for fold in range(3):
            curves.add(fold, t, 1.0)
    # One value per grid time, each computed once.
    assert len(curves.mean) == int(np.log(1e3) / np.log(1.01)) + 1


def u_shaped(t_min, depth=0.5):
    return lambda t: 1.0 - depth + depth * (np.log(t / t_min)) ** 2


def learning(t):
    return 0.5  # every fold has started to learn


def test_overfitting_stops_after_patience():
    policy = StoppingPolicy(rise=0.05, patience=2.0)
    curves = ValidationCurves(2, start=1.0, ratio=1.02)
    times = np.geomspace(1.0, 1e3, 2000)
    reason, t = feed(curves, policy, [u_shaped(10.0)] * 2, times, learning)
    assert reason == "overfitting"
    # Not before twice the minimum's time, and soon after (the curve is then
    # well above 1.05 times its minimum).
    assert 20.0 < t < 21.0


def test_a_bump_before_patience_does_not_stop():
    # A rise of 20% right after the minimum, then a lower minimum: the
    # policy waits for twice the first minimum's time, and the bump is over
    # by then.
    def bumpy(t):
        if t < 10:
            return 1.0
        if t < 15:
            return 1.2
        return u_shaped(40.0)(t)

    policy = StoppingPolicy(rise=0.05, patience=2.0)
    curves = ValidationCurves(1, start=1.0, ratio=1.02)
    reason, t = feed(
        curves,
        policy,
        [bumpy],
        np.geomspace(1.0, 1e3, 2000),
        lambda t: 1.0 if t < 10 else 0.5,  # learning starts at t = 10
    )
    assert reason == "overfitting"
    assert t > 80.0


def test_no_stop_before_learning_starts():
    # A flat curve while nothing is learned (training loss 1) is not
    # "levelled": the policy waits until every fold's loss drops.
    policy = StoppingPolicy()
    curves = ValidationCurves(2, start=1.0, ratio=1.02)
    times = np.geomspace(1.0, 100.0, 500)
    reason, _ = feed(curves, policy, [lambda t: 1.0] * 2, times, lambda t: 1.0)
    assert reason is None


def test_worse_first_picks_are_waited_out():
    # The untrained model is best for a while (a wrong first coordinate):
    # patience counts from when learning started, not from t = start.
    def curve(t):
        return 1.0 if t < 30 else (1.1 if t < 50 else u_shaped(80.0)(t))

    policy = StoppingPolicy(rise=0.05, patience=2.0)
    curves = ValidationCurves(1, start=1.0, ratio=1.02)
    reason, t = feed(
        curves,
        policy,
        [curve],
        np.geomspace(1.0, 1e3, 2000),
        lambda t: 1.0 if t < 30 else 0.5,
    )
    assert t > 160.0  # twice the minimum at 80


def test_levelled_curve_stops():
    # Least squares reached (more samples than features): the curve stops
    # moving after learning; the policy stops once flat for a time factor 2.
    def curve(t):
        return 0.3 + 0.7 * np.exp(-(t - 1.0))

    policy = StoppingPolicy(flat=1e-3, patience=2.0)
    curves = ValidationCurves(1, start=1.0, ratio=1.02)
    reason, t = feed(curves, policy, [curve], np.geomspace(1.0, 1e3, 2000), learning)
    assert reason == "levelled"
    # exp(-(t/2 - 1)) * 0.7 <= 1e-3 * 0.3 from t/2 = 8.8.
    assert 17.0 < t < 19.0


def test_interpolated_stops_at_the_floor():
    policy = StoppingPolicy(floor=1e-4)
    curves = ValidationCurves(1, start=1.0, ratio=1.02)
    reason, t = feed(
        curves,
        policy,
        [lambda t: 1.0 / t],
        np.geomspace(1.0, 1e3, 2000),
        lambda t: 1.0 / t**2,
    )
    assert reason == "interpolated"
    assert t == pytest.approx(100.0, rel=0.01)


def test_a_minimum_that_stood_long_enough_stops_a_slow_rise():
    # Fitting noise that barely moves the validation error (a rise below
    # `rise`): the minimum is settled once it has stood for patience^2 times
    # its time.
    def curve(t):
        return 1.0 - 0.1 * min(t, 10.0) / 10.0 + 0.001 * max(t - 10.0, 0.0) / 10.0

    policy = StoppingPolicy(rise=0.05, patience=2.0)
    curves = ValidationCurves(1, start=1.0, ratio=1.02)
    reason, t = feed(curves, policy, [curve], np.geomspace(1.0, 1e3, 2000), learning)
    assert reason == "overfitting"
    # 2^2 x the minimum at t = 10, to the 2% grid resolution (twice).
    assert 40.0 < t < 42.0


def test_hold_extends_each_fold_with_its_last_value():
    # At "interpolated" the folds stand at different times, each at the end
    # of its path: the one behind is held at its last value, and the mean
    # goes on to the latest time any fold reached.
    curves = ValidationCurves(2, start=1.0, ratio=2.0)  # grid 1, 2, 4, 8
    for t in (1.0, 3.0, 9.0):
        curves.add(0, t, 1.0 / t)
    for t in (1.0, 3.0):
        curves.add(1, t, 1.0 / t)
    assert len(curves.mean) == 2  # fold 1 has passed the grid times 1 and 2
    curves.hold()
    times, mse_path = curves.finish()
    np.testing.assert_allclose(times, [1.0, 2.0, 4.0, 8.0])
    assert not np.isnan(mse_path).any()
    np.testing.assert_allclose(mse_path[2:, 1], 1.0 / 3.0)  # held
    assert len(curves.mean) == 4
    assert curves.best == 3  # the minimum is now at t = 8, not t = 2


def test_no_overfitting_before_learning_has_helped():
    # The first picks are wrong (the mean rises 10% to 21% above the
    # untrained model's value as learning starts) and later ones undo them
    # (the minimum at t = 400 is half the untrained value): the policy
    # waits for a minimum below the untrained value, then settles it.
    def curve(t):
        if t < 10:
            return 1.0
        return 1.1 + 0.05 * np.log(t / 10.0) if t < 100 else u_shaped(400.0)(t)

    policy = StoppingPolicy(rise=0.05, patience=2.0)
    curves = ValidationCurves(1, start=1.0, ratio=1.02)
    reason, t = feed(
        curves,
        policy,
        [curve],
        np.geomspace(1.0, 1e4, 4000),
        lambda t: 1.0 if t < 10 else 0.5,
    )
    assert reason == "overfitting"
    assert t > 800.0  # twice the minimum at 400 (it stopped at 20 before)


@pytest.mark.parametrize(
    "progress, stops_within",
    [
        # Much left to fit: the folds wait untrained_patience (32) times the
        # time learning started, 10 (to the 2% grid).
        (0.5, (320.0, 330.0)),
        # 98% fitted (fitting noise): no longer wait, the rise stops them at
        # twice the time learning started.
        (0.02, (20.0, 21.0)),
    ],
)
def test_a_curve_that_never_improves(progress, stops_within):
    # Learning never beats the untrained model (pure noise: the mean rises
    # as the noise is fitted).
    policy = StoppingPolicy(
        rise=0.05, patience=2.0, untrained_patience=32.0, untrained_progress=0.1
    )
    curves = ValidationCurves(1, start=1.0, ratio=1.02)
    reason, t = feed(
        curves,
        policy,
        [lambda t: 1.0 if t < 10 else 1.1 + 0.05 * np.log(t / 10.0)],
        np.geomspace(1.0, 1e4, 4000),
        lambda t: 1.0 if t < 10 else progress,
    )
    assert reason == "overfitting"
    assert stops_within[0] < t < stops_within[1]
