"""The main job's tables, and what its fits say about interpolation.

A :class:`Table` holds cells as text; :meth:`Table.to_text` lays it out for
the terminal, :mod:`.report` for HTML and Markdown. Under every table,
:func:`outcome_lines` states whether every interpolator really interpolated
and flags every fit that did not converge.
"""

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from .progress import plural
from .runner import INTERPOLATION_TOL, INTERPOLATORS

__all__ = [
    "Table",
    "cv_table",
    "outcome_lines",
    "synthetic_table",
]


@dataclass
class Table:
    """A table of text cells with its title and the notes under it.

    Parameters
    ----------
    title : list of str
        Lines above the table.
    header : list of str
        Column names.
    rows : list of list of str
        The cells; a row ``None`` is a rule between two groups of rows.
    notes : list of str
        Lines under the table.
    """

    title: list
    header: list
    rows: list
    notes: list = field(default_factory=list)

    def to_text(self):
        """The table for a terminal: the first column left-aligned, the others
        right-aligned, two spaces apart."""
        cells = [self.header] + [row for row in self.rows if row is not None]
        widths = [max(len(row[i]) for row in cells) for i in range(len(self.header))]

        def line(row):
            first = row[0].ljust(widths[0])
            rest = (cell.rjust(w) for cell, w in zip(row[1:], widths[1:]))
            return "  ".join([first, *rest])

        rule = "-" * len(line(self.header))
        body = [rule if row is None else line(row) for row in self.rows]
        return "\n".join([*self.title, line(self.header), rule, *body, *self.notes])


def _names(records):
    return list(dict.fromkeys(r["estimator"] for r in records))


def _fraction(records, key):
    return f"{sum(bool(r[key]) for r in records)}/{len(records)}"


def outcome_lines(records):
    """Whether every interpolator interpolated, and every fit converged.

    Parameters
    ----------
    records : list of dict
        Fit records with keys ``estimator``, ``train_error``,
        ``interpolated``, ``converged`` and, for failed fits, ``error``.

    Returns
    -------
    lines : list of str
        One line on interpolation (and a note when training sets with more
        rows than features explain a failure), then one on convergence; a
        line that reports a problem starts with ``"WARNING:"``.
    """
    done = [r for r in records if r.get("error") is None]
    names = [name for name in _names(done) if name in INTERPOLATORS]
    tol = f"training MSE <= {INTERPOLATION_TOL:g} var(y)"
    missed = []
    for name in names:
        mine = [r for r in done if r["estimator"] == name]
        bad = [r for r in mine if not r["interpolated"]]
        if bad:
            worst = max(r["train_error"] for r in bad)
            missed.append(
                f"{name} on {len(bad)} of {plural(len(mine), 'fit')} (training "
                f"MSE up to {worst:.2g} var(y))"
            )
    if not names:
        lines = ["interpolation: no interpolator was fitted"]
    elif missed:
        lines = [f"WARNING: not every interpolator interpolated: {'; '.join(missed)}"]
        tall = [r for r in done if r.get("n_train", 0) > r.get("n_features", np.inf)]
        if tall:
            lines.append(
                f"note: no interpolant exists where a training set has more rows "
                f"than features ({tall[0]['n_train']} > {tall[0]['n_features']} "
                f"in {plural(len(tall), 'fit')}): the interpolators return "
                "least-squares fits there"
            )
    else:
        lines = [
            f"interpolation: every fit of the {plural(len(names), 'interpolator')} "
            f"interpolated ({tol})"
        ]

    stuck = []
    for name in _names(done):
        mine = [r for r in done if r["estimator"] == name]
        bad = [r for r in mine if not r["converged"]]
        if bad:
            stuck.append(f"{name} on {len(bad)} of {plural(len(mine), 'fit')}")
    if stuck:
        lines.append(
            "WARNING: some fits did not converge (converged_ is False, or a "
            f"ConvergenceWarning was raised): {'; '.join(stuck)}"
        )
    elif done:
        lines.append(f"convergence: all {plural(len(done), 'fit')} converged")
    return lines


def _warning_notes(records):
    """One line per estimator that raised warnings, e.g. convergence ones."""
    notes = []
    for name in _names(records):
        mine = [r for r in records if r["estimator"] == name]
        counts = Counter()
        for r in mine:
            counts.update(r["warnings"])
        if counts:
            what = ", ".join(f"{k} x{v}" for k, v in sorted(counts.items()))
            notes.append(f"note: {name} raised {what} over {plural(len(mine), 'fit')}")
    return notes


def _outcome_cells(name, mine):
    interpolated = _fraction(mine, "interpolated") if name in INTERPOLATORS else "-"
    return [
        f"{max(r['train_error'] for r in mine):.1e}",
        interpolated,
        _fraction(mine, "converged"),
        f"{np.mean([r['fit_time'] for r in mine]):.2f}",
    ]


OUTCOME_HEADER = ["max train err", "interpolated", "converged", "fit s"]
OUTCOME_LEGEND = (
    "max train err = largest training MSE / var(y); interpolated = fits with "
    f"train err <= {INTERPOLATION_TOL:g} (- : not an interpolator); "
    "fit s = mean seconds per fit"
)


def synthetic_table(records, *, n_samples, n_informative, noise):
    """The table of :func:`~sk_implicit.cli.runner.run_synthetic`'s records.

    Rows are estimators, then the references; columns the mean excess risk
    for each ``d``, then the largest relative training error, how many fits
    interpolated and converged, and the mean fit time.

    Parameters
    ----------
    records : list of dict
        As returned by ``run_synthetic``.
    n_samples, n_informative : int
        For the title.
    noise : float
        For the title.

    Returns
    -------
    table : Table
    """
    ds = sorted({r["n_features"] for r in records})
    n_seeds = len({r["seed"] for r in records})
    header = ["estimator", *(f"d={d}" for d in ds), *OUTCOME_HEADER]
    rows, references = [], []
    for name in _names(records):
        mine = [r for r in records if r["estimator"] == name]
        risks = [
            np.mean([r["excess_risk"] for r in mine if r["n_features"] == d])
            for d in ds
        ]
        row = [name, *(f"{risk:.3g}" for risk in risks), *_outcome_cells(name, mine)]
        (references if mine[0].get("reference") else rows).append(row)
    if references:
        rows += [None, *references]
    seeds = "seed 0" if n_seeds == 1 else f"mean over {n_seeds} seeds"
    title = [
        f"Excess risk ||coef - coef*||^2 ({seeds}); n={n_samples}, "
        f"s={n_informative}, noise={noise:g}",
        OUTCOME_LEGEND,
    ]
    notes = []
    if references:
        notes.append(
            "references (they know the true support): oracle least squares on "
            "it; interpolation limit = the oracle + the minimum-l2 interpolant "
            "of its residual"
        )
    notes += _warning_notes(records) + outcome_lines(records)
    return Table(title, header, rows, notes)


def cv_table(records, *, title=()):
    """The table of :func:`~sk_implicit.cli.runner.run_cross_validation`'s records.

    Rows are estimators; columns the mean and standard deviation over folds
    of the test R^2 and MSE, then the largest relative training error, how
    many fits interpolated and converged, and the mean fit time.

    Parameters
    ----------
    records : list of dict
        As returned by ``run_cross_validation``.
    title : sequence of str, default=()
        Lines above the table.

    Returns
    -------
    table : Table
    """
    header = ["estimator", "R2 mean", "R2 std", "MSE mean", "MSE std"]
    header += OUTCOME_HEADER
    rows, notes = [], []
    for name in _names(records):
        mine = [r for r in records if r["estimator"] == name]
        ok = [r for r in mine if r.get("error") is None]
        failed = [r for r in mine if r.get("error") is not None]
        if failed:
            notes.append(
                f"note: {name} failed on {len(failed)} of "
                f"{plural(len(mine), 'fold')}: {failed[0]['error']}"
            )
        if not ok:
            rows.append([name, *(["failed"] * (len(header) - 1))])
            continue
        r2 = np.array([r["r2"] for r in ok])
        mse = np.array([r["mse"] for r in ok])
        rows.append(
            [
                name,
                f"{r2.mean():.3f}",
                f"{r2.std():.3f}",
                f"{mse.mean():.4g}",
                f"{mse.std():.3g}",
                *_outcome_cells(name, ok),
            ]
        )
        chosen = Counter(
            ", ".join(f"{k.split('__')[-1]}={v:g}" for k, v in r["best_params"].items())
            for r in ok
            if r.get("best_params")
        )
        if chosen:
            values = "; ".join(
                f"{p} ({plural(k, 'fold')})" for p, k in chosen.most_common()
            )
            notes.append(f"note: {name} chose {values}")
    notes += _warning_notes(records) + outcome_lines(records)
    return Table([*title, OUTCOME_LEGEND], header, rows, notes)
