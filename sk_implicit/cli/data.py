"""Reading a user's data set for the main job's ``--data`` option.

CSV files (and ``.tsv``, ``.txt``) are read by numpy's C parser
(:func:`numpy.loadtxt`), about as fast as ``pandas.read_csv``
(``benchmarks/bench_csv.py``); every other format pandas reads (Parquet,
Feather, Excel, ...) is read by pandas when it is installed. pandas stays
optional: it is never needed for CSV.

Every column must be numeric and complete: the job does not guess how to
encode categories or fill gaps, it says where the problem is, in one line.
"""

import csv
import math
import warnings
from pathlib import Path

import numpy as np

__all__ = ["DataError", "load_data", "read_csv", "read_with_pandas"]

# Read by our own parser; everything else goes to pandas.
CSV_SUFFIXES = (".csv", ".tsv", ".txt", ".dat")

# Suffix -> name of the pandas reader (compressed CSV is pandas' job too).
PANDAS_READERS = {
    ".parquet": "read_parquet",
    ".pq": "read_parquet",
    ".feather": "read_feather",
    ".arrow": "read_feather",
    ".orc": "read_orc",
    ".xlsx": "read_excel",
    ".xls": "read_excel",
    ".ods": "read_excel",
    ".json": "read_json",
    ".jsonl": "read_json",
    ".h5": "read_hdf",
    ".hdf": "read_hdf",
    ".hdf5": "read_hdf",
    ".dta": "read_stata",
    ".sas7bdat": "read_sas",
    ".xpt": "read_sas",
    ".sav": "read_spss",
    ".gz": "read_csv",
    ".bz2": "read_csv",
    ".xz": "read_csv",
    ".zst": "read_csv",
    ".zip": "read_csv",
}


class DataError(ValueError):
    """A user's data file cannot be used; the message is one line for stderr."""


def load_data(path, target):
    """Read a data file into ``X, y``: CSV by numpy, other formats by pandas.

    Parameters
    ----------
    path : str or path-like
        The file. ``.csv``, ``.tsv``, ``.txt`` and ``.dat`` files are read by
        :func:`read_csv`; other suffixes (``.parquet``, ``.feather``,
        ``.xlsx``, ``.json``, compressed CSV, ...) by
        :func:`read_with_pandas`.
    target : str
        Name of the target column.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        All the other columns, in file order, as float64.
    y : ndarray of shape (n_samples,)
        The target column.
    feature_names : list of str
        Names of the columns of ``X``.

    Raises
    ------
    DataError
        With a one-line message.
    """
    suffix = Path(path).suffix.lower()
    if suffix in CSV_SUFFIXES or suffix not in PANDAS_READERS:
        return read_csv(path, target)
    return read_with_pandas(path, target)


def read_csv(path, target):
    """Read a numeric CSV file with a header row into ``X, y``.

    The delimiter (comma, semicolon or tab) is detected. The numbers are
    parsed by :func:`numpy.loadtxt`'s C parser; a file it rejects is parsed
    again line by line only to say where the problem is.

    Parameters
    ----------
    path : str or path-like
        The file, UTF-8 (with or without a byte-order mark).
    target : str
        Name of the target column, as in the header.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        All the other columns, in file order.
    y : ndarray of shape (n_samples,)
        The target column.
    feature_names : list of str
        Names of the columns of ``X``.

    Raises
    ------
    DataError
        With a one-line message: unreadable file, no header or rows, missing
        target column, ragged row, non-numeric or missing (empty, NaN) or
        infinite value.
    """
    header, delimiter = _read_header(path)
    j = _target_index(header, target, path)
    try:
        with warnings.catch_warnings():
            # An empty body is reported below, as a DataError.
            warnings.simplefilter("ignore", UserWarning)
            data = np.loadtxt(
                path,
                delimiter=delimiter,
                quotechar='"',
                comments=None,  # a "#" is not a comment in a data file
                skiprows=1,
                ndmin=2,
                dtype=np.float64,
                encoding="utf-8-sig",
            )
    except (ValueError, UnicodeDecodeError, OSError):
        data = None
    if data is None or data.shape[1] != len(header) or not np.isfinite(data).all():
        # Slow, but only for bad files: it finds the line and column at fault.
        data = _parse_line_by_line(path, header, delimiter)
    if data.shape[0] == 0:
        raise DataError(f"{path} has a header but no data rows")
    feature_names = header[:j] + header[j + 1 :]
    return np.delete(data, j, axis=1), data[:, j], feature_names


def _read_text(path, first_line_only=False):
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            return f.readline() if first_line_only else f.read()
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise DataError(f"{path} is not a UTF-8 text file") from None


def _read_header(path):
    """The header's names and the file's delimiter.

    The delimiter is the one of comma, semicolon and tab that the header
    line holds most often (a comma when it holds none: one column).
    """
    first = _read_text(path, first_line_only=True)
    delimiter = max(",;\t", key=first.count)
    header = next(csv.reader([first], delimiter=delimiter), None)
    if not header or not any(cell.strip() for cell in header):
        raise DataError(f"{path} is empty (a header row is needed)")
    return [cell.strip() for cell in header], delimiter


def _target_index(header, target, path):
    if target not in header:
        shown = ", ".join(repr(name) for name in header[:10])
        more = f" and {len(header) - 10} more" if len(header) > 10 else ""
        raise DataError(
            f"column {target!r} not found in {path} (columns: {shown}{more})"
        )
    if len(header) < 2:
        raise DataError(f"{path} has no feature column besides {target!r}")
    return header.index(target)


def _parse_line_by_line(path, header, delimiter):
    """Parse with the csv module and raise a DataError at the first bad cell."""
    reader = csv.reader(_read_text(path).splitlines(), delimiter=delimiter)
    next(reader)  # the header
    rows = []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue  # blank lines, e.g. at the end of the file
        where = f"({path}, line {reader.line_num})"
        if len(row) != len(header):
            raise DataError(
                f"{path}, line {reader.line_num}: {len(row)} fields, "
                f"expected {len(header)} as in the header"
            )
        values = []
        for name, cell in zip(header, row):
            cell = cell.strip()
            try:
                value = float(cell)
            except ValueError:
                if cell == "":
                    raise DataError(
                        f"column {name!r} has a missing value {where}"
                    ) from None
                raise DataError(
                    f"column {name!r} is not numeric: {cell[:30]!r} {where}"
                ) from None
            if math.isnan(value):
                raise DataError(f"column {name!r} has a missing value (NaN) {where}")
            if math.isinf(value):
                raise DataError(f"column {name!r} has an infinite value {where}")
            values.append(value)
        rows.append(values)
    return np.asarray(rows, dtype=np.float64).reshape(len(rows), len(header))


def read_with_pandas(path, target):
    """Read any file pandas reads (Parquet, Feather, Excel, ...) into ``X, y``.

    The reader is chosen by the file's suffix (``pandas.read_parquet`` for
    ``.parquet``, ...). pandas, and the engine its reader needs (pyarrow for
    Parquet, openpyxl for Excel), must be installed.

    Parameters
    ----------
    path : str or path-like
        The file.
    target : str
        Name of the target column.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        All the other columns, in file order, as float64.
    y : ndarray of shape (n_samples,)
        The target column.
    feature_names : list of str
        Names of the columns of ``X``.

    Raises
    ------
    DataError
        With a one-line message: pandas or its engine missing, unreadable
        file, missing target column, non-numeric, missing or infinite value.
    """
    suffix = Path(path).suffix.lower()
    try:
        import pandas as pd
    except ImportError:
        raise DataError(
            f"reading {suffix} files needs pandas (pip install pandas; CSV "
            "files need nothing more)"
        ) from None
    reader = getattr(pd, PANDAS_READERS.get(suffix, "read_csv"))
    if not Path(path).is_file():
        raise DataError(f"cannot read {path}: No such file or directory")
    try:
        frame = reader(path)
    except ImportError as exc:
        raise DataError(f"reading {path} needs {_first_line(exc)}") from None
    except Exception as exc:  # pandas' readers raise many kinds
        raise DataError(f"cannot read {path}: {_first_line(exc)}") from None
    return _from_frame(frame, target, path)


def _first_line(exc):
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _from_frame(frame, target, path):
    """``X, y, feature_names`` from a DataFrame, or a one-line DataError."""
    header = [str(name) for name in frame.columns]
    j = _target_index(header, target, path)
    if len(frame) == 0:
        raise DataError(f"{path} has no data rows")
    columns = []
    for name, (_, column) in zip(header, frame.items()):
        kind = column.dtype.kind
        if kind not in "iuf" or str(column.dtype) == "bool":
            raise DataError(
                f"column {name!r} is not numeric (dtype {column.dtype}) in {path}"
            )
        values = column.to_numpy(dtype=np.float64, na_value=np.nan)
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            what = "an infinite" if np.isinf(values[bad[0]]) else "a missing"
            raise DataError(
                f"column {name!r} has {what} value (data row {bad[0] + 1} of {path})"
            )
        columns.append(values)
    data = np.column_stack(columns)
    return np.delete(data, j, axis=1), data[:, j], header[:j] + header[j + 1 :]
