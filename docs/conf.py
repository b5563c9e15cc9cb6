"""Sphinx configuration of the sk-implicit documentation.

Build (from the repository root, with the ``docs`` extra installed)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

The gallery runs every ``examples/plot_*.py`` at the small size the test
suite uses (``SK_IMPLICIT_EXAMPLE_SIZE=small``), so the build takes a minute
or two; set ``SK_IMPLICIT_EXAMPLE_SIZE=full`` to render the full-size figures.
"""

import os
import re
import sys
from pathlib import Path

import sk_implicit
import sk_implicit.datasets

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "sphinxext"))

# Read by the examples (see tests/test_examples.py). Set before sphinx-gallery
# runs them, in this process. An explicit value in the environment wins.
os.environ.setdefault("SK_IMPLICIT_EXAMPLE_SIZE", "small")

project = "sk-implicit"
author = "sk-implicit developers"
copyright = "sk-implicit developers"  # noqa: A001 (Sphinx's name)
release = sk_implicit.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "matplotlib.sphinxext.plot_directive",
]

exclude_patterns = ["_build", "**.ipynb_checkpoints"]
templates_path = ["_templates"]
default_role = "literal"

# -- API reference -----------------------------------------------------------
# The reference page is written from this table, so that every public name is
# listed exactly once and the build fails when one is missing (see below).
# (section title, module, names, autosummary template)
API = [
    (
        "Estimators",
        "sk_implicit",
        [
            "ImplicitRegInterpolator",
            "MinL1Interpolator",
            "MinL2Interpolator",
            "ResidualInterpolator",
        ],
        "class.rst",
    ),
    ("Regularization path", "sk_implicit", ["implicit_path"], "function.rst"),
    (
        "Data sets",
        "sk_implicit.datasets",
        ["make_sparse_regression", "excess_risk"],
        "function.rst",
    ),
]
# Names listed in API but allowed to be absent (none: every listed name must
# exist, and every public name must be listed).
API_NOT_YET_PUBLIC = set()


def _public_names(module):
    return {name for name in module.__all__ if not name.startswith("_")}


def _write_api_page():
    modules = {"sk_implicit": sk_implicit, "sk_implicit.datasets": sk_implicit.datasets}
    listed = {(module, name) for _, module, names, _ in API for name in names}
    public = {(m, name) for m, mod in modules.items() for name in _public_names(mod)}
    unlisted = sorted(f"{m}.{n}" for m, n in public - listed)
    if unlisted:
        raise RuntimeError(f"public names missing from API in docs/conf.py: {unlisted}")
    lines = [
        ".. Written by docs/conf.py from its API table: edit that, not this file.",
        "",
        "API reference",
        "=============",
        "",
        "Every public name of sk-implicit. The estimators follow scikit-learn's",
        "API (``fit``, ``predict``, ``score``, ``get_params``/``set_params``) and",
        "work in pipelines, ``cross_validate`` and ``GridSearchCV``. They also",
        "have scikit-learn's metadata-routing methods (``set_fit_request``,",
        "``set_score_request``, ``get_metadata_routing``), documented by",
        "scikit-learn and not repeated here.",
        "",
    ]
    for title, module, names, template in API:
        present = [n for n in names if hasattr(modules[module], n)]
        missing = set(names) - set(present)
        if missing - API_NOT_YET_PUBLIC:
            raise RuntimeError(f"{module} has no {sorted(missing)} (docs/conf.py API)")
        if not present:
            continue
        lines += [title, "-" * len(title), "", f".. currentmodule:: {module}", ""]
        lines += [".. autosummary::", "   :toctree: generated/"]
        lines += [f"   :template: {template}", ""]
        lines += [f"   {name}" for name in present] + [""]
    text = "\n".join(lines)
    page = DOCS / "api.rst"
    # Rewritten only when it changes, so that Sphinx's incremental builds work.
    if not page.exists() or page.read_text() != text:
        page.write_text(text)


_write_api_page()

autosummary_generate = True
# The class template lists the methods itself (with their summaries).
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# No intersphinx: the build must work offline, so references to scikit-learn
# (":class:`~sklearn.linear_model.LassoCV`") render as plain code, not links.

# -- Gallery -----------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(DOCS.parent / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    # Mini-galleries ("Examples using ...") on the API pages.
    "doc_module": ("sk_implicit",),
    "backreferences_dir": "generated/backreferences",
    "reference_url": {"sk_implicit": None},
    # The examples save their figure in the working directory, which
    # sphinx-gallery sets to examples/: the second hook deletes those copies.
    "reset_modules": ("matplotlib", "gallery_hooks.remove_saved_figures"),
    "reset_modules_order": "both",
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,
    "download_all_examples": False,
    "show_memory": False,
    "min_reported_time": 1,
}

# -- Figures made at build time (``.. plot::`` in the user guide) ------------
plot_include_source = False
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 110)]
plot_rcparams = {"figure.autolayout": False}
plot_pre_code = ""

# -- HTML --------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sk-implicit {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": [],
}
html_sidebars = {"index": [], "install": []}
html_show_sourcelink = False


# -- Docstring fixes at build time -------------------------------------------
# Shapes written with attribute names, "ndarray of shape (n_features_in_,)",
# read in reStructuredText as references to link targets ("n_features_in_"),
# which do not exist: escape the trailing underscore inside "shape (...)".
_SHAPE = re.compile(r"shape \(([^()]*)\)")
_TRAILING_UNDERSCORE = re.compile(r"\b([A-Za-z]\w*?)_(?=[^\w]|$)")
# Methods inherited from scikit-learn (score, get_params, ...) refer to its
# glossary and user guide by :term: and :ref:, which exist only on its site:
# keep their text, drop the link.
_SKLEARN_ROLE = re.compile(r":(?:term|ref):`(?:([^`<]*?)\s*<[^`>]*>|([^`]*))`")


def _fix_docstring(app, what, name, obj, options, lines):
    def escape(match):
        inner = _TRAILING_UNDERSCORE.sub(r"\1\\_", match.group(1))
        return f"shape ({inner})"

    lines[:] = [_SHAPE.sub(escape, line) for line in lines]
    if getattr(obj, "__module__", "").startswith("sklearn."):
        lines[:] = [
            _SKLEARN_ROLE.sub(lambda m: m.group(1) or m.group(2), line)
            for line in lines
        ]


# scikit-learn's metadata-routing methods refer to its own glossary and user
# guide, which this site does not have: they are named in the API page's
# introduction instead of documented on every estimator.
_SKIPPED_MEMBERS = re.compile(r"^(set_\w+_request|get_metadata_routing)$")


def _skip_member(app, what, name, obj, skip, options):
    if _SKIPPED_MEMBERS.match(name):
        return True
    return None


def setup(app):
    app.connect("autodoc-process-docstring", _fix_docstring, priority=400)
    app.connect("autodoc-skip-member", _skip_member)
