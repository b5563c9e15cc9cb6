"""The main job's figures, as PNG bytes.

matplotlib is optional (extra ``plot``): without it the job prints its tables
and says that it wrote no figure. The figures are drawn with matplotlib's
object-oriented API (:class:`matplotlib.figure.Figure` and the Agg canvas),
never with ``pyplot``: no backend is switched and no global state changes, in
the job or in a program that calls these functions.
"""

import io

import numpy as np

__all__ = [
    "MISSING_MATPLOTLIB",
    "cv_figure",
    "have_matplotlib",
    "label_log_axis",
    "synthetic_figure",
]

MISSING_MATPLOTLIB = (
    "note: matplotlib is not installed, no figure (pip install 'sk-implicit[plot]')"
)

# Reference lines: black, not in the estimators' colour cycle.
_REFERENCE_STYLE = {
    "oracle least squares": dict(color="k", ls="--", lw=1.2),
    "interpolation limit": dict(color="k", ls=":", lw=1.5),
}
_REFERENCE_LABEL = {
    "oracle least squares": "oracle least squares (reference)",
    "interpolation limit": "interpolation limit: oracle + min-l2 residual",
}


def have_matplotlib():
    """Whether matplotlib can be imported."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _new_figure(**kwargs):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(**kwargs)
    FigureCanvasAgg(fig)  # Agg renders to memory: a file, never a window
    return fig


def _png(fig, dpi=120):
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def label_log_axis(axis):
    """Label 1, 2 and 5 times each power of ten on a log axis, as plain numbers.

    matplotlib's default labels only the powers of ten, which on a short
    range leaves one or two labelled values.

    Parameters
    ----------
    axis : matplotlib.axis.Axis
        E.g. ``ax.yaxis`` of a log-scaled axes.
    """
    from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0), numticks=15))
    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    axis.set_minor_locator(NullLocator())


def synthetic_figure(records, *, n_samples, n_informative, noise):
    """Excess risk against ``d``: one line per estimator, dashed references.

    Lines are the means over seeds, bands span the minimum to the maximum.
    The oracle least squares and the interpolation limit (records flagged
    ``reference``) are black dashed and dotted lines: how far each
    interpolator is from the best an interpolator can do.

    Parameters
    ----------
    records : list of dict
        As returned by :func:`~sk_implicit.cli.runner.run_synthetic`.
    n_samples, n_informative : int
        For the title.
    noise : float
        For the title.

    Returns
    -------
    png : bytes
        The figure as a PNG image.
    """
    from matplotlib.ticker import NullLocator

    names = list(dict.fromkeys(r["estimator"] for r in records))
    ds = np.array(sorted({r["n_features"] for r in records}))
    fig = _new_figure(figsize=(10, 4.8), layout="constrained")
    ax = fig.add_subplot()
    for name in names:
        mine = [r for r in records if r["estimator"] == name]
        risks = [[r["excess_risk"] for r in mine if r["n_features"] == d] for d in ds]
        mean = np.array([np.mean(v) for v in risks])
        if mine[0].get("reference"):
            style = _REFERENCE_STYLE.get(name, dict(color="k", ls="--"))
            ax.plot(ds, mean, label=_REFERENCE_LABEL.get(name, name), **style)
            continue
        (line,) = ax.plot(ds, mean, marker="o", label=name)
        ax.fill_between(
            ds,
            [np.min(v) for v in risks],
            [np.max(v) for v in risks],
            color=line.get_color(),
            alpha=0.15,
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(ds, [str(d) for d in ds])
    ax.xaxis.set_minor_locator(NullLocator())
    label_log_axis(ax.yaxis)
    ax.set_xlabel("number of features d")
    ax.set_ylabel(r"excess risk $\|\hat\beta - \beta^*\|^2$")
    ax.set_title(
        f"Sparse regression, n={n_samples}, s={n_informative}, noise={noise:g}"
        " (mean, min-max band)",
        fontsize="medium",
    )
    # Beside the axes: inside, it would hide the lines.
    fig.legend(loc="outside right upper", fontsize="small")
    ax.grid(alpha=0.3)
    return _png(fig)


def cv_figure(records, *, title=""):
    """The per-fold test scores (R^2 and MSE) of each estimator.

    Parameters
    ----------
    records : list of dict
        As returned by :func:`~sk_implicit.cli.runner.run_cross_validation`.
    title : str, default=""
        Figure title.

    Returns
    -------
    png : bytes
        The figure as a PNG image.
    """
    names = list(dict.fromkeys(r["estimator"] for r in records))
    fig = _new_figure(figsize=(10, 4.5), layout="constrained")
    axes = fig.subplots(1, 2)
    for ax, key, label in zip(axes, ("r2", "mse"), ("test $R^2$", "test MSE")):
        for i, name in enumerate(names):
            scores = np.array(
                [r[key] for r in records if r["estimator"] == name], dtype=float
            )
            scores = scores[np.isfinite(scores)]
            # Small deterministic jitter so that equal scores stay visible.
            offsets = np.linspace(-0.12, 0.12, len(scores)) if len(scores) else []
            ax.scatter(i + np.asarray(offsets), scores, alpha=0.7, zorder=2)
            if len(scores):
                ax.hlines(scores.mean(), i - 0.25, i + 0.25, color="k", zorder=3)
        ax.set_xticks(range(len(names)), names, rotation=20, ha="right")
        ax.set_ylabel(label + " per fold (bar: mean)")
        ax.grid(alpha=0.3, axis="y")
    if title:
        fig.suptitle(title, fontsize="medium")
    return _png(fig)
