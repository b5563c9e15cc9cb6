"""The implicit-regularization interpolator of Zhou & Ge (ICML 2023)."""

from dataclasses import replace
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.model_selection import check_cv
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    process_routing,
)

from ._base import (
    LinearInterpolatorMixin,
    _max_abs,
    centred_matvec,
    fit_outcome,
    float64_times_pow2,
    pow2_exponent,
    times_pow2,
    unit_weights,
)
from ._checkpoints import FinalPathCheckpoints
from ._cv_finish import FoldFinish
from ._min_l2 import solve_min_l2
from ._path import (
    DivergenceError,
    _Integrator,
    build_problems,
    check_init_scales,
    first_activation_time,
)
from ._stopping import StoppingPolicy, ValidationCurves
from ._threads import BlasThreads
from ._validation import (
    Interval,
    Options,
    StrOptions,
    _fit_context,
    _manual_routing,
    _raise_for_params,
    _routing_enabled,
)

# The validation curves are compared on a geometric time grid of this ratio
# (2% time resolution), starting at half the first activation time.
_GRID_RATIO = 1.02
_GRID_START = 0.5
# The folds' paths are integrated at this many times path_tol (at most 1): they
# only locate the minimum of the validation curve on that grid. Measured: on
# the risk grid (16 settings x 5 draws, the final path at path_tol), 4 moved
# the chosen time by a few grid points at most and every mean risk by 2% at
# most (8 moved one draw's time by 35%, gauss-1 +33% mean risk); but on the
# corn spectra, whose validation curve is flat to 1e-3, 4 kept one fold of
# 20 from seeing the curve level off (1.07 s against 0.1 s). 2 kept every
# fold's time there, and gains two thirds of 4's speed.
_CV_TOLERANCE = 2.0


class ImplicitRegInterpolator(LinearInterpolatorMixin, BaseEstimator):
    r"""Interpolator trained by gradient descent on ``w*w - u*u + v``.

    The linear model ``beta = w * w - u * u + v`` has a sparse, l1-like
    Hadamard part ``w * w - u * u`` and a dense, l2-like part ``v`` [1]_.
    Gradient descent with small steps on the (weighted) squared loss of the
    centred data, from ``w = u = init_scale`` and ``v = 0``, trains the
    Hadamard part first: its coordinates grow like
    ``init_scale^2 exp(4 |g_j| t)`` (``g`` the gradient, ``t`` the
    gradient-flow time), so the few most correlated with the residual (the
    signal) are learned first, one plateau at a time, and the many that would
    fit the noise much later [2]_, [3]_. At the time ``t_0 = dense_start`` the
    dense part is switched on and absorbs what is left of the residual:

    .. math::

        \theta' = -4 g, \quad \beta_s = 2 \alpha^2 \sinh\theta
        \quad (0 \le t \le t_0), \qquad
        v = \arg\min \|v\|_2 \ \text{s.t.}\ X v = y - X \beta_s(t_0),

    with ``w^2 = alpha^2 e^theta``, ``u^2 = alpha^2 e^-theta``. ``v`` is the
    limit of gradient descent on ``v`` alone from zero (a dense part much
    faster than the sparse one), computed exactly: the minimum-l2-norm
    interpolant of the residual, which spreads the noise harmlessly over many
    directions when ``n_features >> n_samples`` [4]_. The model then
    interpolates, or is the least-squares fit when no interpolant exists.

    ``t_0`` is chosen by K-fold cross-validation along the path, as
    :class:`~sklearn.linear_model.LassoCV` chooses its penalty: each fold's
    path is integrated once, its finished model (path plus minimum-l2
    interpolant of the fold's residual) is validated on the held-out rows at
    every time, and the time of the lowest mean validation error is kept.
    The final path (all rows) runs in the same batch as the folds and is
    resumed from its last state before the chosen time (one step, or about
    twenty where it lags the folds), not integrated again. The paths are
    integrated by :func:`implicit_path`'s integrator, which follows the
    gradient flow of small-step gradient descent.

    Parameters
    ----------
    init_scale : float or array-like of float, default=1e-30
        Initial value ``alpha`` of every ``w_j`` and ``u_j``, in the units
        in which the centred ``y`` and the columns of ``X`` have unit root
        mean square (the coefficient ``alpha^2`` of a column is measured as
        ``alpha^2 rms(y) / rms-std(X)``, ``rms-std(X)`` the root mean square
        of the columns' standard deviations). Smaller is sparser: the path
        moves from plateau to plateau, each a least-squares fit on the
        coordinates learned so far. Large values make the path l2-like: from
        about 1e3 on, the model is the minimum-l2 interpolator. Values in
        ``(0, 1e50]`` (the integration works in ``log(init_scale)``, so
        1e-300 is as safe as 1e-3). Several values: the pair (init scale,
        time) is chosen together by the cross-validation, as
        :class:`~sklearn.linear_model.ElasticNetCV` chooses ``l1_ratio``.
    dense_start : "cv" or float, default="cv"
        Gradient-flow time ``t_0`` at which the dense part is switched on (in
        the units of :func:`implicit_path`, with ``y`` scaled to unit root
        mean square). ``"cv"`` chooses it by cross-validation; ``0`` gives the
        minimum-l2-norm interpolator (the dense part alone); ``np.inf``
        never switches it on: the Hadamard part alone, run until it
        interpolates (the minimum-l1-norm interpolator as
        ``init_scale -> 0``).
    cv : int, cross-validation generator or iterable, default=5
        Folds used when ``dense_start="cv"``, as in
        :func:`~sklearn.model_selection.check_cv` (an int gives unshuffled
        :class:`~sklearn.model_selection.KFold`). ``groups`` reach its
        ``split`` through metadata routing, as with ``LassoCV``.
    path_tol : float, default=0.05
        Accuracy of the path's integration: the largest local error of a step
        in each coordinate of the Hadamard part, relative (absolute, in units
        of ``1e-3 rms(y)`` over the column's scale, for coordinates smaller
        than that). The error against gradient descent
        with small steps grows about in proportion (0.5% to 1.5% of the
        coefficients mid-transition at 0.05, nothing on the plateaus).
        The cross-validation's folds are integrated at twice this
        tolerance (at most 1): they only locate the minimum of the
        validation curve, on a grid of 2% in time.
    max_iter : int, default=10000
        Maximum number of integration steps of each run: the
        cross-validation (whose folds, init scales and final paths advance
        together, one step each per iteration) and the final path (its steps
        in the cross-validation's batch included). If it stops the
        cross-validation before its minimum is settled, or the final path
        before ``dense_start``, the fit warns and sets ``converged_=False``.
    tol : float, default=1e-6
        The model interpolates when its (weighted) training MSE is at most
        ``tol`` times the weighted mean square of the centred ``y``.
    fit_intercept : bool, default=True
        Whether to fit an unpenalised intercept (by centring the data).
    callback : callable, default=None
        Called after each accepted step of the final path (a step that the
        integrator's error control rejects is not reported) as
        ``callback(info)``; the final path is then integrated again on its
        own after the cross-validation (the same time is chosen; the
        coefficients agree to the integration's accuracy), with
        a dict with keys ``"iteration"``, ``"time"``, ``"sparse_coef"`` (in
        the units of ``y``) and ``"loss"`` (training MSE relative to the mean
        square of the centred ``y``).

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        ``sparse_coef_ + dense_coef_``.
    intercept_ : float
        Intercept (0 if ``fit_intercept=False``).
    sparse_coef_ : ndarray of shape (n_features,)
        The Hadamard part ``w * w - u * u`` at ``dense_start_``.
    dense_coef_ : ndarray of shape (n_features,)
        The dense part ``v``: the minimum-l2 interpolant of the residual.
    dense_start_ : float
        The time ``t_0`` at which the dense part was switched on (the time
        the path reached, if ``max_iter`` stopped it before; with
        ``dense_start=np.inf``, the time at which it stopped).
    init_scale_ : float
        The init scale of the returned model.
    n_iter_ : int
        Number of integration steps of the final path, plus one for the
        dense part's solve when it is switched on.
    time_curve_ : ndarray of shape (n_steps + 1,)
        Gradient-flow time of the start and of each accepted step of the
        final path (``n_steps = n_iter_ - 1`` when the dense part is on).
    loss_curve_ : ndarray of shape (n_steps + 1,)
        Relative training MSE of the Hadamard part at those times.
    stop_reason_ : str
        Why the cross-validation paths of the chosen init scale stopped:
        ``"overfitting"`` (the mean validation error had clearly turned up,
        from a minimum below the untrained model's unless the folds had
        fitted nearly all their training rows),
        ``"levelled"`` (it had stopped moving), ``"interpolated"`` (every
        fold had fitted its training rows, or reached the end of its path)
        or ``"max_iter"`` (the fit then warns); ``"fixed"`` when
        ``dense_start`` is a number; ``"least_squares"`` when ``X`` has full
        column rank and no interpolant exists (every time gives the
        least-squares fit, so neither cross-validation nor path is run).
    converged_ : bool
        Whether the model interpolates (or is the least-squares fit where no
        interpolant exists), its cross-validation settled within
        ``max_iter`` and its path reached ``dense_start_``.
    cv_time_grid_ : ndarray of shape (n_times,) or (n_init_scales, n_times)
        Times at which the folds' validation errors were compared, per init
        scale when ``init_scale`` is an array (NaN-padded; each init scale
        has its own grid, from the time its paths start to move). Only with
        ``dense_start="cv"``, and not when ``stop_reason_`` is
        ``"least_squares"``.
    cv_mse_path_ : ndarray of shape (n_init_scales, n_times, n_folds)
        Validation MSE of each fold's finished model at those times (NaN
        past the last time a fold reached; with ``stop_reason_`` equal to
        ``"interpolated"``, every fold's path is at its end, and its last
        value is held up to the last time any fold reached).
        ``dense_start_`` minimises its mean over the folds, at the times
        where every fold has a value.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, if ``X`` has string column names.

    See Also
    --------
    implicit_path : The Hadamard part's path on its own.
    ResidualInterpolator : Any regressor plus the minimum-l2 interpolant of
        its residual.
    MinL1Interpolator : The minimum-l1-norm interpolator (basis pursuit).
    MinL2Interpolator : The minimum-l2-norm interpolator.

    Notes
    -----
    Intercept: with ``fit_intercept=True`` the data are centred by their
    weighted means and the intercept is ``y_mean - X_mean @ coef_``; within
    cross-validation each training fold is centred by its own means.

    The targets are divided by their root mean square during the fit, so
    ``init_scale`` and ``dense_start`` are relative to the scale of ``y`` and
    the model is equivariant to it.

    References
    ----------
    .. [1] J. Zhou and R. Ge, "Implicit Regularization Leads to Benign
       Overfitting for Sparse Linear Regression", ICML 2023.
       https://arxiv.org/abs/2302.00257
    .. [2] T. Vaskevicius, V. Kanade and P. Rebeschini, "Implicit
       Regularization for Optimal Sparse Recovery", NeurIPS 2019.
       https://arxiv.org/abs/1909.05122
    .. [3] S. Pesme and N. Flammarion, "Saddle-to-Saddle Dynamics in Diagonal
       Linear Networks", NeurIPS 2023. https://arxiv.org/abs/2304.00488
    .. [4] V. Muthukumar, K. Vodrahalli, V. Subramanian and A. Sahai,
       "Harmless interpolation of noisy data in regression", IEEE JSAIT 2020.
       https://arxiv.org/abs/1903.09139

    Examples
    --------
    >>> from sk_implicit import ImplicitRegInterpolator
    >>> from sk_implicit.datasets import make_sparse_regression, excess_risk
    >>> X, y, coef = make_sparse_regression(60, 600, 3, noise=0.3, random_state=0)
    >>> model = ImplicitRegInterpolator().fit(X, y)
    >>> model.converged_
    True
    >>> bool(model.score(X, y) > 0.999_999)
    True
    >>> bool(excess_risk(model.coef_, coef) < 0.1)
    True
    """

    _parameter_constraints: dict = {
        "init_scale": [Interval(Real, 0.0, 1e50, closed="right"), "array-like"],
        "dense_start": [
            StrOptions({"cv"}),
            Interval(Real, 0.0, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "cv": ["cv_object"],
        "path_tol": [Interval(Real, 0.0, 1.0, closed="right")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0.0, 1.0, closed="both")],
        "fit_intercept": ["boolean"],
        "callback": [callable, None],
    }

    def __init__(
        self,
        *,
        init_scale=1e-30,
        dense_start="cv",
        cv=5,
        path_tol=0.05,
        max_iter=10_000,
        tol=1e-6,
        fit_intercept=True,
        callback=None,
    ):
        self.init_scale = init_scale
        self.dense_start = dense_start
        self.cv = cv
        self.path_tol = path_tol
        self.max_iter = max_iter
        self.tol = tol
        self.fit_intercept = fit_intercept
        self.callback = callback

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, **params):
        """Integrate the path, choose its time, and finish with the dense part.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples in the squared loss; samples
            with zero weight are dropped.
        **params : dict
            Parameters passed to the cross-validation splitter (e.g.
            ``groups``); only with ``sklearn.set_config(
            enable_metadata_routing=True)``, as for ``LassoCV``.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        _raise_for_params(params, self, "fit")
        scales = check_init_scales(self.init_scale)
        for attr in ("cv_time_grid_", "cv_mse_path_"):
            self.__dict__.pop(attr, None)
        data = self._validate_and_centre(X, y, sample_weight)
        try:
            # (Threads: see _threads; large products take the caller's.)
            with BlasThreads().single():
                self._fit_centred(data, scales, X, y, sample_weight, params)
        except DivergenceError as exc:
            raise ValueError(f"{exc} Try a smaller init_scale or rescale X.") from exc
        return self

    def _fit_centred(self, data, scales, X, y, sample_weight, params):
        """Cross-validate (unless ``dense_start`` is a number), then fit."""
        if np.isfinite(_as_time(self.dense_start)) and _full_column_rank(data):
            # No interpolant exists and the finish X^+ (y - X b) + b equals
            # X^+ y whatever b: every switch time gives the least-squares
            # fit. The path would not change the model: skip it.
            self.stop_reason_ = "least_squares"
            self.init_scale_ = float(scales[0])
            self._add_dense_part(data, *self._fit_path(data, scales[0], 0.0))
            return
        if isinstance(self.dense_start, str):
            routed = (
                process_routing(self, "fit", sample_weight=sample_weight, **params)
                if _routing_enabled()
                else _manual_routing({"splitter": {}})
            )
            folds = self._folds(X, y, data, routed.splitter.split)
            scale, time, resume = self._cross_validate(data, scales, folds)
        else:
            scale, time, resume = scales[0], float(self.dense_start), None
            self.stop_reason_ = "fixed"
        self.init_scale_ = float(scale)
        sparse, add_dense, failure = self._fit_path(data, scale, time, resume)
        # (The path's copy of X, if it has one, is freed before the dense
        # part: a fresh copy's first touch costs more than its solve, 0.4 s
        # for 150 MB.)
        del resume
        self._add_dense_part(data, sparse, add_dense, failure)

    # -- cross-validation ------------------------------------------------------

    def _folds(self, X, y, data, split_params):
        """(train, test) positions among the kept rows, per fold."""
        cv = check_cv(self.cv)
        kept = data.kept_rows
        position = None if kept is None else np.cumsum(kept) - 1
        folds = []
        for train, test in cv.split(X, y, **split_params):
            if kept is not None:  # rows of zero weight were dropped
                train = position[train[kept[train]]]
                test = position[test[kept[test]]]
            if train.size == 0 or test.size == 0:
                raise ValueError(
                    "A cross-validation fold has no training or no held-out "
                    "sample of positive weight."
                )
            folds.append((train, test))
        return folds

    def _cross_validate(self, data, scales, folds):
        """Integrate every fold's path; return the chosen init scale and time.

        All folds (and init scales) run as one batch until the stopping policy
        settles the minimum of each init scale's mean validation curve. The
        final path of each init scale runs in the same batch, at ``path_tol``
        (the folds at ``_CV_TOLERANCE`` times it), and is kept as
        checkpoints; the third value returned is the one to resume the
        chosen path from (a :class:`_Resume`, see :mod:`._checkpoints`), or
        None with a ``callback`` (which must see every step of the final
        path: it is then integrated again on its own, after the folds).
        """
        # (The final paths are in the batch even with a callback, which then
        # gets a path of its own: the batch, and so the time, must not
        # depend on whether the fit is observed.)
        problems, coef_scale, column_scale = build_problems(
            data, scales, fit_intercept=self.fit_intercept, folds=folds
        )
        n_folds, n_scales = len(folds), scales.size
        n_cv = n_folds * n_scales  # the folds' problems; then the final paths
        tolerance = np.full(problems.n_problems, float(self.path_tol))
        tolerance[:n_cv] = min(1.0, _CV_TOLERANCE * self.path_tol)
        integrator = _Integrator(problems, column_scale, tolerance=tolerance)
        finish = FoldFinish(data, folds, self.fit_intercept)
        start = _GRID_START * first_activation_time(problems, column_scale)[:n_cv]
        curves = [
            ValidationCurves(n_folds, start[s::n_scales].min(), _GRID_RATIO)
            for s in range(n_scales)
        ]
        policies = [StoppingPolicy() for _ in range(n_scales)]
        reasons = [None] * n_scales
        checkpoints = [
            FinalPathCheckpoints(problems.n_features, problems.n_samples)
            for _ in scales
        ]

        def observe(record):
            cv_rows = np.flatnonzero(record.ids < n_cv)
            ids = record.ids[cv_rows]
            fold, scale = ids // n_scales, ids % n_scales
            # Each fold's finished model (its path plus the minimum-l2
            # interpolant of its training residual) on its held-out rows.
            values = finish.validation_errors(fold, record.residuals[cv_rows])
            # Training progress towards each fold's least-squares floor (0 on
            # folds that can interpolate): a fold that cannot learn, or that
            # converges to a least-squares fit, does not hold the others.
            floor = finish.floors[fold]
            with np.errstate(divide="ignore", invalid="ignore"):
                progress = np.where(
                    floor < 1.0, (record.loss[cv_rows] - floor) / (1.0 - floor), 0.0
                )
            stop = np.zeros(record.ids.size, dtype=bool)
            running = np.zeros(n_scales, dtype=bool)  # the scale has folds left
            for s in range(n_scales):
                rows = np.flatnonzero(scale == s)
                running[s] = rows.size > 0
                curves[s].add_many(fold[rows], record.time[cv_rows[rows]], values[rows])
                if rows.size and reasons[s] is None:
                    reasons[s] = policies[s].check(curves[s], progress[rows])
                stop[cv_rows[rows]] |= reasons[s] is not None
            # The final paths: kept, and stopped with their folds (or when
            # none of their folds is left, stopped at the end of its path).
            for row in np.flatnonzero(record.ids >= n_cv):
                s = record.ids[row] - n_cv
                if self.callback is None:  # (else the path is integrated again)
                    checkpoints[s].add(
                        record.loss[row], record.snapshot(row), curves[s].best_time()
                    )
                stop[row] = reasons[s] is not None or not running[s]
            return stop

        result = integrator.run(
            t_end=np.full(problems.n_problems, np.inf),
            max_iter=self.max_iter,
            observer=observe,
        )
        grids, paths, best = [], [], []
        for s in range(n_scales):
            if reasons[s] is None:
                reasons[s] = "max_iter" if result["max_iter"] else "interpolated"
            if reasons[s] == "interpolated":
                curves[s].hold()  # every fold's path is at its end
            # The minimum over the times every fold reached.
            times, mse_path = curves[s].finish()
            grids.append(times)
            paths.append(mse_path)
            # No time every fold reached (max_iter): this scale cannot win.
            i = curves[s].best
            best.append((curves[s].mean[i] if curves[s].mean else np.inf, times[i], s))
        _, time, s_best = min(best)
        self.stop_reason_ = reasons[s_best]
        longest = max(grid.size for grid in grids)
        time_grid = np.full((n_scales, longest), np.nan)
        self.cv_mse_path_ = np.full((n_scales, longest, n_folds), np.nan)
        for s, (grid, mse_path) in enumerate(zip(grids, paths)):
            time_grid[s, : grid.size] = grid
            self.cv_mse_path_[s, : grid.size] = mse_path
        self.cv_time_grid_ = (
            time_grid[0] if np.ndim(self.init_scale) == 0 else time_grid
        )
        resume = None
        if self.callback is None:
            resume = _Resume(
                problems.subset(np.array([n_cv + s_best])),
                coef_scale,
                column_scale,
                *checkpoints[s_best].resume_point(time),
            )
        return scales[s_best], time, resume

    # -- the final fit ---------------------------------------------------------

    def _fit_path(self, data, scale, time, resume=None):
        """Integrate the full path to ``time``.

        ``resume``: a :class:`_Resume`, the path integrated alongside the
        folds, to go on from (else the path starts at ``theta = 0``). Returns
        ``(sparse, add_dense, failure)`` for :meth:`_add_dense_part`: the
        path's coefficients in the units of ``data``, whether the dense part
        is added (not with ``dense_start=inf``), and what stopped the path or
        its cross-validation early (None if nothing did).
        """
        if resume is None:
            problems, coef_scale, column_scale = build_problems(
                data, np.array([scale]), fit_intercept=self.fit_intercept
            )
            times, losses, start, budget = [], [], None, self.max_iter
        else:
            problems, coef_scale, column_scale = (
                resume.problems,
                resume.coef_scale,
                resume.column_scale,
            )
            times, losses = list(resume.times), list(resume.losses)
            start = [resume.snapshot]
            budget = max(self.max_iter - resume.snapshot.n_steps, 0)
        integrator = _Integrator(problems, column_scale, tolerance=self.path_tol)
        until_interpolation = np.isinf(time)

        def observe(record):
            # (A step rejected by the error control leaves the time as it
            # was: it is neither recorded nor reported.)
            accepted = not times or record.time[0] > times[-1]
            if accepted:
                times.append(float(record.time[0]))
                losses.append(float(record.loss[0]))
            if self.callback is not None and record.n_iter > 0 and accepted:
                self.callback(
                    {
                        "iteration": len(times) - 1,
                        "time": times[-1],
                        "sparse_coef": record.coef(0) * coef_scale,
                        "loss": losses[-1],
                    }
                )
            # dense_start=inf: the Hadamard part alone, until it interpolates
            # or reaches a least-squares solution (its gradient vanishes, to
            # 1e-10 of its start: about the accuracy of a least-squares
            # solver, which the outcome report then checks).
            stationary = record.gradient_norm[0] <= 1e-10 * record.initial_gradient[0]
            return np.array(
                [until_interpolation and (losses[-1] <= self.tol or stationary)]
            )

        result = integrator.run(
            t_end=np.array([time]), max_iter=budget, observer=observe, start=start
        )
        sparse = result["coef"][0] * coef_scale
        # Integration steps, plus one for the dense part's solve (if on).
        self.n_iter_ = int(result["n_iter"][0]) + int(not until_interpolation)
        self.time_curve_ = np.asarray(times)
        self.loss_curve_ = np.asarray(losses)
        reached = until_interpolation or result["max_iter"]
        self.dense_start_ = float(times[-1]) if reached else float(time)

        # (Both can happen: the final path runs in the folds' batch, at a
        # finer tolerance, and may lag the time they chose.)
        failures = []
        if self.stop_reason_ == "max_iter":
            failures.append(
                f"Its cross-validation stopped after max_iter={self.max_iter} "
                "steps, before the minimum of the validation curve was settled: "
                f"{time:.3g} is the best time seen so far."
            )
        if result["max_iter"]:
            failures.append(
                f"Its path stopped after max_iter={self.max_iter} steps at time "
                f"{times[-1]:.3g}, before dense_start={time:.3g}."
            )
        failure = " ".join(failures) or None
        return sparse, not until_interpolation, failure

    def _add_dense_part(self, data, sparse, add_dense, failure):
        """The dense part (the minimum-l2 fit of the path's residual), the
        model's coefficients and intercept, and the outcome report."""
        if not add_dense:
            dense = np.zeros_like(sparse)
        else:
            fitted = np.asarray(centred_matvec(data, sparse)).ravel()
            residual = data.y.astype(np.float64) - fitted
            n, d = data.X.shape
            with BlasThreads().for_product(n * d * min(n, d)):
                dense, _ = solve_min_l2(
                    replace(data, y=residual.astype(data.y.dtype)),
                    fit_intercept=self.fit_intercept,
                )
        dtype = data.y.dtype
        self.sparse_coef_ = sparse.astype(dtype)
        self.dense_coef_ = dense.astype(dtype)
        self._set_intercept(sparse + dense, data)
        self._check_representable(data)

        self._report_outcome(
            fit_outcome(data, sparse + dense, tol=self.tol),
            what_to_try="Increase max_iter."
            if failure
            else "Check the data's conditioning, or use MinL2Interpolator.",
            solver_failure=failure,
        )

    def get_metadata_routing(self):
        """Get metadata routing of this object (``groups`` to the splitter).

        Returns
        -------
        routing : MetadataRouter
            The routing of ``fit``'s extra parameters to ``cv.split``.
        """
        return (
            MetadataRouter(owner=self)
            .add_self_request(self)
            .add(
                splitter=check_cv(self.cv),
                method_mapping=MethodMapping().add(caller="fit", callee="split"),
            )
        )


class _Resume(NamedTuple):
    """The final path as the cross-validation left it: its problem (in the
    units of :func:`build_problems`), and where to go on from."""

    problems: object
    coef_scale: float
    column_scale: np.ndarray
    snapshot: object
    times: list
    losses: list


def _as_time(dense_start):
    """``dense_start`` as a number (``"cv"`` is some finite time)."""
    return 0.0 if isinstance(dense_start, str) else float(dense_start)


def _full_column_rank(data):
    """Has the centred (weighted) ``X`` clearly full column rank?

    Decided on the Gram matrix ``X_c^T W X_c`` (d x d, computed only when
    there are more rows than columns): full rank when its eigenvalues are all
    above 1e-10 of the largest (a condition number of ``X`` below 1e5, far
    from where squaring it in the Gram matrix loses the answer). Otherwise
    (or when unsure) False.
    """
    X = data.X
    n, d = X.shape
    if n <= d + 1 or d > 2000:
        return False
    peak = _max_abs(X)
    if not peak > 0:
        return False
    # X and the weights divided by powers of two (exact; the eigenvalues'
    # ratio does not change): the Gram matrix can neither overflow nor
    # underflow, whatever their scale (peak**2 overflowed beyond 1e154).
    e = pow2_exponent(peak)
    Xf = float64_times_pow2(X, -e)
    w = unit_weights(data.sample_weight, n)
    if sp.issparse(Xf):
        G = np.asarray((Xf.T @ sp.diags_array(w) @ Xf).todense())
    else:
        G = (Xf * w[:, None]).T @ Xf
    if data.implicit_offset is not None:
        o = times_pow2(data.implicit_offset, -e)
        G -= w.sum() * np.outer(o, o)
    eigenvalues = np.linalg.eigvalsh(G)
    return bool(eigenvalues[-1] > 0 and eigenvalues[0] > 1e-10 * eigenvalues[-1])
