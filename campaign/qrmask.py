"""Choosing a QR code's mask quickly: the data is placed once, and the eight masks are applied and
scored (ISO/IEC 18004 penalty rules N1–N4) with array operations instead of building the whole
symbol eight times. The result is an ordinary, standard QR matrix."""

from __future__ import annotations

import functools

import numpy as np
import qrcode
import qrcode.util
from numpy.typing import NDArray

Matrix = NDArray[np.bool_]


def build(data: bytes, error_correction: int) -> Matrix:
    """The finished symbol (no quiet zone) for ``data``, with the lowest-penalty mask."""
    code = qrcode.QRCode(error_correction=error_correction, border=0)
    code.add_data(data)
    code.best_fit()
    code.makeImpl(False, 0)
    first = np.array(code.modules, dtype=bool)
    version = code.version
    data_cells = _data_cells(version)
    raw = first ^ (_pattern(0, first.shape[0]) & data_cells)
    best, best_score = first, _penalty(first)
    for mask in range(1, 8):
        candidate = np.where(data_cells, raw ^ _pattern(mask, raw.shape[0]), _fixed(version, mask))
        score = _penalty(candidate)
        if score < best_score:
            best, best_score = candidate, score
    return best


@functools.cache
def _layout(version: int, mask: int) -> list[list[bool | None]]:
    """Function patterns and format bits for ``mask``; data cells left as None."""
    code = qrcode.QRCode(version=version, border=0)
    code.modules_count = version * 4 + 17
    code.makeImpl(False, mask)  # fills the blank cache for this version
    code.modules = qrcode.main.copy_2d_array(qrcode.main.precomputed_qr_blanks[version])
    code.setup_type_info(False, mask)
    if version >= 7:
        code.setup_type_number(False)
    return code.modules


@functools.cache
def _data_cells(version: int) -> Matrix:
    """Where data modules go: cells still empty once the function patterns are laid out."""
    return np.array([[cell is None for cell in row] for row in _layout(version, 0)], dtype=bool)


@functools.cache
def _fixed(version: int, mask: int) -> Matrix:
    """The function patterns and format bits of ``mask`` as dark/light."""
    return np.array([[bool(cell) for cell in row] for row in _layout(version, mask)], dtype=bool)


@functools.cache
def _pattern(mask: int, size: int) -> Matrix:
    i, j = np.indices((size, size))
    formulas = (
        (i + j) % 2 == 0,
        i % 2 == 0,
        j % 3 == 0,
        (i + j) % 3 == 0,
        (i // 2 + j // 3) % 2 == 0,
        (i * j) % 2 + (i * j) % 3 == 0,
        ((i * j) % 2 + (i * j) % 3) % 2 == 0,
        ((i * j) % 3 + (i + j) % 2) % 2 == 0,
    )
    chosen: Matrix = formulas[mask]
    return chosen


def _penalty(matrix: Matrix) -> int:
    return (
        _runs(matrix)
        + _runs(matrix.T)
        + _blocks(matrix)
        + _finders(matrix)
        + _finders(matrix.T)
        + _balance(matrix)
    )


def _runs(matrix: Matrix) -> int:
    """N1: 3 + (length - 5) for every run of five or more same-coloured modules in a row."""
    rows = np.pad(matrix.astype(np.int8), ((0, 0), (1, 1)), constant_values=2).ravel()
    changes = np.flatnonzero(rows[1:] != rows[:-1]) + 1
    lengths = np.diff(changes)
    values = rows[changes[:-1]]
    long = lengths[(values != 2) & (lengths >= 5)]
    return int((long - 2).sum())


def _blocks(matrix: Matrix) -> int:
    """N2: 3 for every 2×2 block of one colour."""
    corner = matrix[:-1, :-1]
    same = (corner == matrix[1:, :-1]) & (corner == matrix[:-1, 1:]) & (corner == matrix[1:, 1:])
    return 3 * int(same.sum())


_N3 = np.array(
    [[0, 0, 0, 0, 1, 0, 1, 1, 1, 0, 1], [1, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0]], dtype=np.int8
)


def _finders(matrix: Matrix) -> int:
    """N3: 40 for every 1:1:3:1:1 dark-light pattern with four light modules on either side,
    along rows (the quiet zone counts as light)."""
    padded = np.pad(matrix.astype(np.int8), ((0, 0), (4, 4)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, 11, axis=1)
    hits = (windows[:, :, None, :] == _N3).all(axis=3).any(axis=2)
    return 40 * int(hits.sum())


def _balance(matrix: Matrix) -> int:
    """N4: 10 for every 5 % the share of dark modules is away from half."""
    percent = 100 * int(matrix.sum()) / matrix.size
    return 10 * int(abs(percent - 50) // 5)
