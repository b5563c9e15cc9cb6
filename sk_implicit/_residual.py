"""Any regressor plus the minimum-l2 interpolant of its training residual."""

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.linear_model import LassoCV
from sklearn.utils import get_tags
from sklearn.utils.validation import check_is_fitted, has_fit_parameter, validate_data

from ._base import check_sample_weight, drop_zero_weight_rows
from ._min_l2 import MinL2Interpolator
from ._validation import HasMethods, StrOptions, _fit_context


class ResidualInterpolator(RegressorMixin, BaseEstimator):
    r"""A regressor plus the minimum-l2-norm interpolant of its residual.

    The "harmless interpolation" scheme of Muthukumar et al. [1]_: first fit
    ``estimator`` on ``(X, y)``, then fit the minimum-l2-norm interpolator
    (:class:`MinL2Interpolator`) on ``(X, y - estimator.predict(X))``. The sum
    interpolates the training data whenever ``X`` has full row rank, and where
    no interpolant exists it is the least-squares fit of the residual:

    .. math::

        f(x) = \hat f(x) + x^\top \hat v + \hat v_0, \qquad
        (\hat v, \hat v_0) = \arg\min \|v\|_2
        \ \text{s.t.}\ X v + v_0 \mathbf 1 = y - \hat f(X).

    With a good sparse estimator inside (a tuned Lasso, MCP, best subset), the
    residual is mostly noise, which the dense fit spreads over many directions
    at a cost of about ``sigma^2 n / (d - n)`` in excess risk on isotropic
    data [1]_, [2]_. It is the honest baseline for
    :class:`ImplicitRegInterpolator`, which reaches the same kind of
    interpolator by gradient descent.

    Parameters
    ----------
    estimator : regressor, default=None
        Fitted first, on ``(X, y)`` (a clone). ``None`` means
        :class:`~sklearn.linear_model.LassoCV`. Any scikit-learn regressor
        works; ``coef_`` and ``intercept_`` are defined only when it is linear
        (it has a ``coef_`` of shape ``(n_features,)``).
    fit_intercept : bool, default=True
        Whether the residual fit has its own (unpenalised) intercept.
    solver : {"auto", "gram", "svd", "lsmr"}, default="auto"
        Solver of the residual fit, see :class:`MinL2Interpolator`.

    Attributes
    ----------
    estimator_ : regressor
        The fitted first estimator.
    residual_estimator_ : MinL2Interpolator
        The minimum-l2-norm interpolator of the first estimator's residual.
    coef_ : ndarray of shape (n_features,)
        ``estimator_.coef_ + residual_estimator_.coef_``; only when
        ``estimator_`` is linear.
    intercept_ : float
        The sum of the two intercepts; only when ``estimator_`` is linear.
    converged_ : bool
        ``residual_estimator_.converged_``: whether the residual fit
        interpolates the residual (relative MSE at most 1e-6, relative to the
        residual's weighted mean square) or is its least-squares fit; the
        residual of the sum is that of the residual fit. When False, the
        residual fit has raised a
        :class:`~sklearn.exceptions.ConvergenceWarning`.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit. Defined only when ``X`` has
        feature names that are all strings.

    See Also
    --------
    MinL2Interpolator : The residual fit on its own (``estimator`` predicting
        zero).
    ImplicitRegInterpolator : An interpolator that learns both parts by
        gradient descent.

    Notes
    -----
    Sample weights are passed to both fits; the first estimator must then
    accept ``sample_weight`` in ``fit``. Rows of zero weight are removed
    before both fits (neither estimator sees them). The weights matter for
    the residual fit only when it cannot interpolate.

    References
    ----------
    .. [1] V. Muthukumar, K. Vodrahalli, V. Subramanian and A. Sahai,
       "Harmless interpolation of noisy data in regression", IEEE Journal on
       Selected Areas in Information Theory 1(1), 2020.
       https://arxiv.org/abs/1903.09139
    .. [2] J. Zhou and R. Ge, "Implicit Regularization Leads to Benign
       Overfitting for Sparse Linear Regression", ICML 2023.
       https://arxiv.org/abs/2302.00257

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LassoCV
    >>> from sk_implicit import ResidualInterpolator
    >>> from sk_implicit.datasets import make_sparse_regression
    >>> X, y, coef = make_sparse_regression(50, 500, 3, noise=0.5, random_state=0)
    >>> model = ResidualInterpolator(LassoCV()).fit(X, y)
    >>> bool(np.allclose(model.predict(X), y))
    True
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict"]), None],
        "fit_intercept": ["boolean"],
        "solver": [StrOptions({"auto", "gram", "svd", "lsmr"})],
    }

    def __init__(self, estimator=None, *, fit_intercept=True, solver="auto"):
        self.estimator = estimator
        self.fit_intercept = fit_intercept
        self.solver = solver

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Fit the estimator, then the minimum-l2 interpolant of its residual.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights, passed to both fits; rows with zero
            weight are removed first.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=("csr", "csc", "coo"),
            dtype=(np.float64, np.float32),
            y_numeric=True,
        )
        y = y.astype(X.dtype, copy=False)
        estimator = LassoCV() if self.estimator is None else self.estimator
        fit_params = {}
        if sample_weight is not None:
            if not has_fit_parameter(estimator, "sample_weight"):
                raise ValueError(
                    f"{type(estimator).__name__} does not accept sample_weight, "
                    "which ResidualInterpolator was given."
                )
            sample_weight = check_sample_weight(sample_weight, X.shape[0], X.dtype)
            # A zero weight removes a row (as in MinL2Interpolator): the first
            # estimator must not see it either. LassoCV's folds, for one, fail
            # on a fold whose weights are all zero.
            X, y, sample_weight, _ = drop_zero_weight_rows(X, y, sample_weight)
            fit_params["sample_weight"] = sample_weight
        self.estimator_ = clone(estimator).fit(X, y, **fit_params)
        with np.errstate(over="ignore", invalid="ignore"):
            residual = y - np.asarray(self.estimator_.predict(X), dtype=y.dtype)
        if not np.all(np.isfinite(residual)):
            raise ValueError(
                f"{type(self.estimator_).__name__} predicts non-finite values on "
                "the training data (or values beyond the range of "
                f"{y.dtype}), so its residual cannot be interpolated. Rescale X "
                "or y (or use float64)."
            )
        self.residual_estimator_ = MinL2Interpolator(
            fit_intercept=self.fit_intercept, solver=self.solver
        ).fit(X, residual, sample_weight=sample_weight)
        self.converged_ = bool(self.residual_estimator_.converged_)

        coef = getattr(self.estimator_, "coef_", None)
        if coef is not None and np.shape(coef) == (X.shape[1],):
            self.coef_ = (
                np.asarray(coef, dtype=y.dtype) + self.residual_estimator_.coef_
            )
            self.intercept_ = y.dtype.type(
                np.ravel(getattr(self.estimator_, "intercept_", 0.0))[0]
                + self.residual_estimator_.intercept_
            )
        return self

    def predict(self, X):
        """Predict with the estimator plus the residual fit.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            ``estimator_.predict(X) + residual_estimator_.predict(X)``.
        """
        check_is_fitted(self)
        X = validate_data(
            self,
            X,
            accept_sparse=("csr", "csc", "coo"),
            dtype=(np.float64, np.float32),
            reset=False,
        )
        return np.ravel(self.estimator_.predict(X)) + self.residual_estimator_.predict(
            X
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        estimator = LassoCV() if self.estimator is None else self.estimator
        tags.input_tags.sparse = get_tags(estimator).input_tags.sparse
        return tags
