"""Hooks that sphinx-gallery calls around each example (see conf.py)."""

from pathlib import Path

_EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
_before = set()


def remove_saved_figures(gallery_conf, fname, when):
    """Delete the PNG files an example saved in ``examples/`` while it ran.

    The examples save their figure in the working directory (for readers who
    run them as scripts); sphinx-gallery runs them from ``examples/`` and
    scrapes the figures itself, so those copies would only litter the source
    tree. Files that were there before the example ran are kept.
    """
    pngs = set(_EXAMPLES.glob("*.png"))
    if when == "before":
        _before.clear()
        _before.update(pngs)
        return
    for path in pngs - _before:
        path.unlink()
