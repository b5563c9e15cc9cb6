"""scikit-learn's parameter validation, imported in one place.

``_parameter_constraints`` with :class:`Interval` / :class:`StrOptions` and the
``@_fit_context`` decorator are how scikit-learn's own estimators (``Lasso``,
``LassoCV``) reject bad parameters with an ``InvalidParameterError`` (both a
``ValueError`` and a ``TypeError``) before any data is touched. So do the
helpers of metadata routing that ``LassoCV`` uses to pass ``groups`` to its
splitter. They live in private modules of scikit-learn, so every estimator of
this package imports
them from here: if scikit-learn moves them, this file is the one place to
change (``tests/test_common.py`` fails loudly first).
"""

from sklearn.base import _fit_context
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    InvalidParameterError,
    Options,
    StrOptions,
)
from sklearn.utils.metadata_routing import (
    _manual_routing,
    _raise_for_params,
    _routing_enabled,
)

__all__ = [
    "HasMethods",
    "Interval",
    "InvalidParameterError",
    "Options",
    "StrOptions",
    "_fit_context",
    "_manual_routing",
    "_raise_for_params",
    "_routing_enabled",
]
