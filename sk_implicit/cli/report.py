"""A self-contained report of a run of the main job, in HTML or Markdown.

One file to attach to a paper or a ticket: the command line, the tables with
their notes (whether every interpolator interpolated, which fits did not
converge), the figure embedded as a base64 PNG, and the versions of Python
and of the packages that produced the numbers.
"""

import base64
import datetime
import html
import os
import platform
import sys
from importlib import metadata
from pathlib import Path

__all__ = ["REPORT_FORMATS", "report_format", "versions", "write_report"]

REPORT_FORMATS = {".html": "html", ".htm": "html", ".md": "markdown"}

_PACKAGES = (
    "sk-implicit",
    "numpy",
    "scipy",
    "scikit-learn",
    "joblib",
    "matplotlib",
    "pandas",
)


def report_format(path):
    """``"html"`` or ``"markdown"`` from the file's suffix, or None."""
    return REPORT_FORMATS.get(Path(path).suffix.lower())


def versions():
    """Python, the platform and the installed versions of the packages used.

    Returns
    -------
    versions : dict of str to str
        ``"not installed"`` for an optional package that is absent.
    """
    found = {
        "python": platform.python_version(),
        "platform": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs",
    }
    for name in _PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def _data_uri(png):
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _context(command, elapsed):
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return {"command": command, "date": when, "elapsed": f"{elapsed:.1f}s"}


def _markdown(title, tables, png, context, found):
    def cell(text):
        return text.replace("|", "\\|")

    lines = [f"# {title}", ""]
    lines += [f"- command: `{context['command']}`"]
    lines += [f"- run on {context['date']}, in {context['elapsed']}", ""]
    for table in tables:
        lines += [f"{line}  " for line in table.title] + [""]
        lines.append("| " + " | ".join(map(cell, table.header)) + " |")
        align = [":---"] + ["---:"] * (len(table.header) - 1)
        lines.append("|" + "|".join(align) + "|")
        for row in table.rows:
            if row is None:
                row = ["*references*"] + [""] * (len(table.header) - 1)
            lines.append("| " + " | ".join(map(cell, row)) + " |")
        lines.append("")
        lines += [
            f"- **{note}**" if note.startswith("WARNING") else f"- {note}"
            for note in table.notes
        ]
        lines.append("")
    if png is not None:
        lines += [f"![figure]({_data_uri(png)})", ""]
    else:
        lines += ["(no figure: matplotlib is not installed)", ""]
    lines += ["## Versions", "", "| package | version |", "|:---|:---|"]
    lines += [f"| {name} | {version} |" for name, version in found.items()]
    return "\n".join(lines) + "\n"


_STYLE = """
body { font-family: sans-serif; max-width: 60em; margin: 2em auto; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { padding: 0.2em 0.7em; border-bottom: 1px solid #ddd; }
td { text-align: right; font-variant-numeric: tabular-nums; }
td:first-child, th:first-child { text-align: left; }
tr.rule td { border-bottom: 2px solid #888; padding: 0; }
.warning { color: #a00; font-weight: bold; }
code, pre { background: #f4f4f4; padding: 0.2em; }
img { max-width: 100%; }
"""


def _html(title, tables, png, context, found):
    esc = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{esc(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
        f"<p>Command: <code>{esc(context['command'])}</code><br>",
        f"Run on {esc(context['date'])}, in {esc(context['elapsed'])}.</p>",
    ]
    for table in tables:
        parts.append("<p>" + "<br>".join(esc(line) for line in table.title) + "</p>")
        parts.append("<table><thead><tr>")
        parts += [f"<th>{esc(name)}</th>" for name in table.header]
        parts.append("</tr></thead><tbody>")
        for row in table.rows:
            if row is None:
                span = len(table.header)
                parts.append(f'<tr class="rule"><td colspan="{span}"></td></tr>')
                continue
            parts.append("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>")
        parts.append("</tbody></table><ul>")
        for note in table.notes:
            css = ' class="warning"' if note.startswith("WARNING") else ""
            parts.append(f"<li{css}>{esc(note)}</li>")
        parts.append("</ul>")
    if png is not None:
        parts.append(f'<p><img alt="figure" src="{_data_uri(png)}"></p>')
    else:
        parts.append("<p>(no figure: matplotlib is not installed)</p>")
    parts.append("<h2>Versions</h2><table><tbody>")
    parts += [
        f"<tr><td>{esc(name)}</td><td>{esc(version)}</td></tr>"
        for name, version in found.items()
    ]
    parts.append("</tbody></table></body></html>")
    return "\n".join(parts) + "\n"


def write_report(path, *, title, tables, png, command, elapsed):
    """Write the report, in the format its suffix says.

    Parameters
    ----------
    path : str or path-like
        ``.html``/``.htm`` (HTML) or ``.md`` (Markdown).
    title : str
        The report's heading.
    tables : list of Table
        The job's tables, with their notes.
    png : bytes or None
        The figure; None when matplotlib is not installed.
    command : str
        The command line, as typed.
    elapsed : float
        Seconds the job took.

    Returns
    -------
    path : pathlib.Path
        Where the report was written.
    """
    path = Path(path)
    kind = report_format(path)
    if kind is None:
        raise ValueError(f"unknown report format {path.suffix!r}")
    render = _html if kind == "html" else _markdown
    text = render(title, tables, png, _context(command, elapsed), versions())
    path.write_text(text, encoding="utf-8")
    return path


def command_line(argv, prog="sk-implicit"):
    """The command as a user would type it again (shell-quoted)."""
    import shlex

    args = sys.argv[1:] if argv is None else list(argv)
    return shlex.join([prog, *args])
