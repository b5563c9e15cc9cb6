"""The implicit-regularization interpolator of Zhou & Ge (ICML 2023)."""

import numbers
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import check_cv
from sklearn.utils.validation import check_scalar

from ._base import LinearInterpolatorMixin
from ._gradient_descent import (
    PathDesign,
    implicit_gradient_descent,
    mean_validation_curve,
)

# A diverging run is retried with half the step this many times.
_MAX_STEP_HALVINGS = 3


class ImplicitRegInterpolator(LinearInterpolatorMixin, BaseEstimator):
    r"""Interpolator trained by gradient descent on ``w*w - u*u + v``.

    The linear model ``beta = w * w - u * u + v`` has a sparse, l1-like
    Hadamard part ``w * w - u * u`` and a dense, l2-like part ``v``. All are
    trained by full-batch gradient descent on the (weighted) mean squared
    error of the centred data, from ``w = u = init_scale`` and ``v = 0``:

    .. math::

        L(\beta) = \frac{1}{2 \sum_i s_i} \sum_i s_i (y_i - x_i^\top \beta)^2,
        \qquad g = \nabla L(\beta),

        w \leftarrow w \odot (1 - 2 \eta g), \quad
        u \leftarrow u \odot (1 + 2 \eta g), \quad
        v \leftarrow v - \eta_v g \ [t \ge t_0],

    where ``s`` are the sample weights and ``t = sum of eta`` is the
    gradient-flow time. The Hadamard coordinates grow like
    ``init_scale^2 exp(4 |g_i| t)``: the few coordinates most correlated with
    the residual (the signal) grow first, the many that fit the noise later.
    The dense part is switched on at the time ``t_0 = dense_start``, after the
    signal has been learned and before spurious sparse coordinates grow; it
    then absorbs the remaining residual (the noise) as a small, dense,
    harmless minimum-l2-norm-like fit, and the model interpolates. By default
    ``t_0`` is chosen by K-fold cross-validation along the path of the
    Hadamard part, as :class:`~sklearn.linear_model.LassoCV` chooses its
    penalty along the Lasso path.

    The Hadamard step ``eta`` is ``step_scale`` over a bound on the local
    curvature, ``||X D||^2 / n + 2 ||g||_inf`` with
    ``D = diag(2 sqrt(w^2 + u^2))``, recomputed as the parameters grow, so the
    iterates follow gradient flow closely; the dense step is
    ``eta_v = dense_step / (||X||^2 / n)``. The targets are divided by their
    standard deviation during the fit, so ``init_scale`` and ``dense_start``
    are relative to the scale of ``y`` and the model is equivariant to it.
    (Without intercept, ``y`` is divided by its root mean square.)

    Parameters
    ----------
    init_scale : float, default=1e-10
        Initial value ``alpha`` of every ``w_i`` and ``u_i``, relative to the
        standard deviation of ``y``. Small values give a sparser (l1-like)
        Hadamard path; large values make it l2-like. The knob to grid-search.
    dense_start : "cv" or float, default="cv"
        Gradient-flow time at which the dense part starts to learn. ``"cv"``
        chooses it by cross-validation along the path (see ``cv``); a
        non-negative float sets it; ``0`` trains both parts jointly from the
        start, ``np.inf`` never trains the dense part (plain gradient descent
        on ``w * w - u * u``, which tends to the minimum-l1 interpolator as
        ``init_scale -> 0`` and to the minimum-l2 one as ``init_scale -> inf``).
    cv : int, cross-validation generator or iterable, default=5
        Folds used when ``dense_start="cv"``, as in
        :func:`~sklearn.model_selection.check_cv` (an int gives unshuffled
        :class:`~sklearn.model_selection.KFold`).
    step_scale : float, default=0.5
        Hadamard step size as a fraction of the inverse curvature bound, in
        ``(0, 1)`` (below 1 keeps ``w`` and ``u`` positive). Smaller is closer
        to gradient flow and slower: on the paper's setting, halving it
        changes ``coef_`` by less than 1% and the excess risk by a few
        percent.
    dense_step : float, default=1.0
        Dense step size as a fraction of ``1 / (||X||^2 / n)``, the inverse
        smoothness of the loss in ``v``: how fast the dense part absorbs the
        residual once switched on. Once it is on, the two steps add up along
        shared directions: ``step_scale + dense_step`` must be below 2.
    max_iter : int, default=20000
        Maximum number of gradient steps of each run (the final fit and each
        cross-validation path).
    tol : float, default=1e-6
        Stop when the training MSE is at most ``tol`` times the variance of
        ``y`` (interpolation), or when ``||g||_inf`` has dropped below ``tol``
        times its initial value (a least-squares fit that cannot interpolate,
        e.g. when ``n_samples > n_features``).
    fit_intercept : bool, default=True
        Whether to fit an unpenalised intercept (by centring the data).
    callback : callable, default=None
        Called after each step of the final fit as ``callback(info)``, with a
        dict with keys ``"iteration"``, ``"time"`` (gradient-flow time),
        ``"sparse_coef"``, ``"dense_coef"`` (in the units of ``y``, fresh
        arrays) and ``"loss"`` (training MSE relative to the variance of
        ``y``). Use it to record the training dynamics.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        ``sparse_coef_ + dense_coef_``.
    intercept_ : float
        Intercept (0 if ``fit_intercept=False``).
    sparse_coef_ : ndarray of shape (n_features,)
        The Hadamard part ``w * w - u * u`` at the end of training.
    dense_coef_ : ndarray of shape (n_features,)
        The dense part ``v`` at the end of training.
    dense_start_ : float
        Gradient-flow time at which the dense part was switched on.
    n_iter_ : int
        Number of gradient steps of the final fit.
    loss_curve_ : ndarray of shape (n_iter_ + 1,)
        Training MSE relative to the variance of ``y`` at each iterate.
    time_curve_ : ndarray of shape (n_iter_ + 1,)
        Gradient-flow time at each iterate.
    converged_ : bool
        Whether the fit reached interpolation (or a least-squares stationary
        point) before ``max_iter``.
    cv_time_grid_ : ndarray of shape (n_times,)
        Gradient-flow times at which the cross-validation error was compared
        (only with ``dense_start="cv"``).
    cv_mse_path_ : ndarray of shape (n_times, n_folds)
        Validation MSE of the Hadamard path of each fold at those times.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, if ``X`` has string column names.

    See Also
    --------
    MinL1Interpolator : The minimum-l1-norm interpolator (basis pursuit).
    MinL2Interpolator : The minimum-l2-norm interpolator.
    sklearn.linear_model.LassoCV : Sparse regression that does not interpolate.

    Notes
    -----
    Intercept: with ``fit_intercept=True`` the data are centred by their
    weighted means and the intercept is ``y_mean - X_mean @ coef_``; within
    cross-validation each training fold is centred by its own means.

    Stopping: see ``tol``. When ``max_iter`` ends the final fit first, a
    :class:`~sklearn.exceptions.ConvergenceWarning` is raised and
    ``converged_`` is False. A run whose loss becomes non-finite is restarted
    with half the steps (up to three times), then raises an error.

    Cross-validation paths run with the dense part off and stop once the
    validation error has clearly turned up (1.1 times its minimum, at 1.5
    times that minimum's time, or after fitting 90% of the remaining training
    error without a better validation error), or levelled off, or once the
    folds' mean validation error is 1.03 times its minimum at 1.5 times that
    minimum's time. The fold curves
    are compared on the union of their time points (piecewise linear) and
    ``dense_start_`` is the time of the lowest mean validation MSE.

    References
    ----------
    .. [1] J. Zhou and R. Ge, "Implicit Regularization Leads to Benign
       Overfitting for Sparse Linear Regression", ICML 2023.
       https://arxiv.org/abs/2302.00257
    .. [2] B. Woodworth, S. Gunasekar, J. D. Lee, E. Moroshko, P. Savarese,
       I. Golan, D. Soudry and N. Srebro, "Kernel and Rich Regimes in
       Overparametrized Models", COLT 2020. https://arxiv.org/abs/2002.09277
    .. [3] T. Vaskevicius, V. Kanade and P. Rebeschini, "Implicit
       Regularization for Optimal Sparse Recovery", NeurIPS 2019.
       https://arxiv.org/abs/1909.05122

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

    def __init__(
        self,
        *,
        init_scale=1e-10,
        dense_start="cv",
        cv=5,
        step_scale=0.5,
        dense_step=1.0,
        max_iter=20_000,
        tol=1e-6,
        fit_intercept=True,
        callback=None,
    ):
        self.init_scale = init_scale
        self.dense_start = dense_start
        self.cv = cv
        self.step_scale = step_scale
        self.dense_step = dense_step
        self.max_iter = max_iter
        self.tol = tol
        self.fit_intercept = fit_intercept
        self.callback = callback

    def _check_params(self):
        check_scalar(
            self.init_scale,
            "init_scale",
            numbers.Real,
            min_val=0.0,
            include_boundaries="neither",
        )
        if not (isinstance(self.dense_start, str) and self.dense_start == "cv"):
            check_scalar(self.dense_start, "dense_start", numbers.Real, min_val=0.0)
        check_scalar(
            self.step_scale,
            "step_scale",
            numbers.Real,
            min_val=0.0,
            max_val=1.0,
            include_boundaries="neither",
        )
        check_scalar(
            self.dense_step,
            "dense_step",
            numbers.Real,
            min_val=0.0,
            max_val=2.0,
            include_boundaries="left",
        )
        if self.step_scale + self.dense_step >= 2.0:
            raise ValueError(
                "step_scale + dense_step must be < 2 (the two steps add up along "
                f"shared directions once the dense part is on), got "
                f"{self.step_scale} + {self.dense_step}."
            )
        check_scalar(self.max_iter, "max_iter", numbers.Integral, min_val=1)
        check_scalar(self.tol, "tol", numbers.Real, min_val=0.0)
        if self.callback is not None and not callable(self.callback):
            raise TypeError(f"callback must be callable, got {self.callback!r}.")

    def fit(self, X, y, sample_weight=None):
        """Train the model by gradient descent until it interpolates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples in the mean squared error;
            samples with zero weight are dropped.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        self._check_params()
        data = self._validate_and_centre(X, y, sample_weight)
        y_scale = float(np.sqrt(np.average(data.y**2, weights=data.sample_weight)))
        if y_scale == 0.0:
            y_scale = 1.0  # constant y: beta = 0 interpolates
        y_scaled = data.y / data.y.dtype.type(y_scale)
        weight = (
            np.ones(data.X.shape[0], dtype=data.X.dtype)
            if data.sample_weight is None
            else data.sample_weight
        )

        if isinstance(self.dense_start, str):
            self.cv_time_grid_, self.cv_mse_path_ = self._cv_path(
                data, y_scaled, weight
            )
            mean_mse = self.cv_mse_path_.mean(axis=1)
            self.dense_start_ = float(self.cv_time_grid_[np.argmin(mean_mse)])
        else:
            self.dense_start_ = float(self.dense_start)

        offset = data.implicit_offset
        design = PathDesign(
            data.X,
            y_scaled,
            weight[None, :],
            X_offset=None if offset is None else offset[None, :],
        )
        callback = None
        if self.callback is not None:

            def callback(info):
                info = dict(info)
                info["sparse_coef"] = info["sparse_coef"] * y_scale
                info["dense_coef"] = info["dense_coef"] * y_scale
                self.callback(info)

        (result,) = self._run(design, self.dense_start_, callback=callback)

        self.sparse_coef_ = (result.sparse_coef * y_scale).astype(data.y.dtype)
        self.dense_coef_ = (result.dense_coef * y_scale).astype(data.y.dtype)
        self._set_intercept(self.sparse_coef_ + self.dense_coef_, data)
        self.n_iter_ = result.n_iter
        self.loss_curve_ = result.loss_curve
        self.time_curve_ = result.time_curve
        self.converged_ = result.stop_reason != "max_iter"
        if not self.converged_:
            warnings.warn(
                f"ImplicitRegInterpolator stopped after max_iter={self.max_iter} "
                f"steps with a relative training MSE of {result.loss_curve[-1]:.2e} "
                f"> tol={self.tol:g}; it does not interpolate yet. Increase "
                "max_iter (or step_scale).",
                ConvergenceWarning,
            )
        return self

    def _run(self, design, dense_start, *, callback=None):
        """Gradient descent, restarted with half the step if it diverges."""
        step_scale, dense_step = self.step_scale, self.dense_step
        for attempt in range(_MAX_STEP_HALVINGS + 1):
            try:
                return implicit_gradient_descent(
                    design,
                    init_scale=self.init_scale,
                    dense_start=dense_start,
                    step_scale=step_scale,
                    dense_step=dense_step,
                    max_iter=self.max_iter,
                    tol=self.tol,
                    callback=callback,
                )
            except FloatingPointError as exc:
                if attempt == _MAX_STEP_HALVINGS:
                    raise ValueError(
                        f"Gradient descent diverged even with step_scale="
                        f"{step_scale:g}; check the input for extreme values."
                    ) from exc
                step_scale, dense_step = step_scale / 2.0, dense_step / 2.0

    def _cv_path(self, data, y_scaled, weight):
        """Validation MSE of each fold's Hadamard path on a common time grid.

        Fold ``k`` is the full data with weight zero off its training rows,
        centred by its own training means, and is validated on its held-out
        rows. With dense ``X`` all folds run together (:class:`PathDesign`:
        one stream of ``X`` per step for all of them).
        """
        cv = check_cv(self.cv)
        n_samples = data.X.shape[0]
        kept = data.kept_rows
        n_rows = n_samples if kept is None else kept.size
        # Folds index the caller's rows; rows of zero weight were dropped.
        position = None if kept is None else np.cumsum(kept) - 1
        train_weight, test_weight = [], []
        for train, test in cv.split(np.zeros((n_rows, 1))):
            if kept is not None:
                train = position[train[kept[train]]]
                test = position[test[kept[test]]]
            if train.size == 0 or test.size == 0:
                raise ValueError(
                    "A cross-validation fold has no training or no held-out "
                    "sample of positive weight."
                )
            train_weight.append(np.zeros(n_samples, dtype=weight.dtype))
            train_weight[-1][train] = weight[train]
            test_weight.append(np.zeros(n_samples, dtype=weight.dtype))
            test_weight[-1][test] = weight[test]
        train_weight = np.vstack(train_weight)
        test_weight = np.vstack(test_weight)

        X_offset = y_offset = None
        if self.fit_intercept:
            fold_sum = train_weight.sum(axis=1)
            X_offset = np.asarray(data.X.T @ train_weight.T).T / fold_sum[:, None]
            y_offset = train_weight @ y_scaled / fold_sum
        design = PathDesign(
            data.X,
            y_scaled,
            train_weight,
            X_offset=X_offset.astype(data.X.dtype) if X_offset is not None else None,
            y_offset=y_offset,
            validation_weight=test_weight,
        )
        if sp.issparse(data.X):
            # A sparse product costs nnz(X) per path, batched or not: one fold
            # at a time keeps the memory to that of a single path.
            folds = np.eye(design.n_paths, dtype=bool)
            results = [self._run(design.subset(fold), np.inf)[0] for fold in folds]
        else:
            results = self._run(design, np.inf)
        # A fold that stopped early keeps its last value (it stopped because
        # its curve, or the mean curve, had turned up or levelled off, or it
        # nearly interpolated).
        return mean_validation_curve(
            [result.time_curve for result in results],
            [result.validation_curve for result in results],
        )
