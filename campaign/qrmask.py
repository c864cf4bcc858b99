"""Building a QR code quickly: byte-mode encoding and Reed–Solomon codewords with lookup tables,
data placed with one array assignment, and the eight masks applied and scored (ISO/IEC 18004
penalty rules N1–N4) as one array stack. The result is an ordinary, standard QR matrix."""

from __future__ import annotations

import bisect
import functools

import numpy as np
import qrcode
import qrcode.base
import qrcode.constants
import qrcode.util
from numpy.typing import NDArray

Matrix = NDArray[np.bool_]
Indices = NDArray[np.intp]

_BYTE_MODE = 0b0100
_PAD = b"\xec\x11"
_LEVELS = {
    qrcode.constants.ERROR_CORRECT_L: "L",
    qrcode.constants.ERROR_CORRECT_M: "M",
    qrcode.constants.ERROR_CORRECT_Q: "Q",
    qrcode.constants.ERROR_CORRECT_H: "H",
}


def build(data: bytes, error_correction: int) -> Matrix:
    """The finished symbol (no quiet zone) for ``data``, with the lowest-penalty mask."""
    candidates = _candidates(data, error_correction)
    best: Matrix = candidates[int(np.argmin(_penalties(candidates)))].copy()
    return best


def _candidates(data: bytes, error_correction: int) -> Matrix:
    """The symbol under each of the eight masks, as an (8, size, size) stack."""
    version = _version(len(data), error_correction)
    size = version * 4 + 17
    bits = np.unpackbits(_codewords(data, version, error_correction))
    raw = np.zeros(size * size, dtype=bool)
    raw[_placement(version)[: bits.size]] = bits  # remainder bits stay light
    stack: Matrix = (_masked_base(version, error_correction) ^ raw).reshape(8, size, size)
    return stack


def _version(length: int, error_correction: int) -> int:
    """The smallest version holding ``length`` bytes in byte mode."""
    capacities = _capacities(error_correction)
    version = bisect.bisect_left(capacities, length) + 1
    if version > 40:
        raise ValueError(
            f"{length} bytes do not fit in a QR code at error correction level "
            f"{_LEVELS[error_correction]} (at most {capacities[-1]} bytes)"
        )
    return version


@functools.cache
def _capacities(error_correction: int) -> tuple[int, ...]:
    """Bytes that fit in byte mode, for versions 1–40."""
    return tuple(
        (qrcode.util.BIT_LIMIT_TABLE[error_correction][version] - 4 - _count_bits(version)) // 8
        for version in range(1, 41)
    )


def _count_bits(version: int) -> int:
    """Width of the byte-mode character count indicator."""
    return 8 if version < 10 else 16


def _codewords(data: bytes, version: int, error_correction: int) -> NDArray[np.uint8]:
    """Data and error-correction codewords, interleaved in the order they are placed."""
    blocks, order = _blocks(version, error_correction)
    capacity = sum(count for count, _ in blocks)
    count_bits = _count_bits(version)
    used = 4 + count_bits + 8 * len(data)
    value = (_BYTE_MODE << count_bits | len(data)) << 8 * len(data) | int.from_bytes(data)
    length = used + min(4, 8 * capacity - used)  # terminator
    length += -length % 8
    stream = (value << (length - used)).to_bytes(length // 8)
    stream = (stream + _PAD * ((capacity - len(stream)) // 2 + 1))[:capacity]
    data_blocks: list[bytes] = []
    ec_blocks: list[bytes] = []
    offset = 0
    for count, ec_count in blocks:
        data_blocks.append(stream[offset : offset + count])
        ec_blocks.append(_remainder(data_blocks[-1], ec_count))
        offset += count
    return np.frombuffer(b"".join(data_blocks + ec_blocks), np.uint8)[order]


@functools.cache
def _blocks(version: int, error_correction: int) -> tuple[tuple[tuple[int, int], ...], Indices]:
    """(data, error-correction) codeword counts per block, and the interleaving order of the
    codewords written block after block, data first."""
    blocks = tuple(
        (block.data_count, block.total_count - block.data_count)
        for block in qrcode.base.rs_blocks(version, error_correction)
    )
    order: list[int] = []
    start = 0
    for kind in (0, 1):
        counts = [block[kind] for block in blocks]
        starts = [start + sum(counts[:b]) for b in range(len(blocks))]
        for i in range(max(counts)):
            order.extend(first + i for first, n in zip(starts, counts, strict=True) if i < n)
        start += sum(counts)
    return blocks, np.array(order, dtype=np.intp)


def _remainder(block: bytes, ec_count: int) -> bytes:
    """Reed–Solomon error-correction codewords of ``block`` (GF(256), polynomial 0x11D)."""
    table = _generator_multiples(ec_count)
    shift = 8 * (ec_count - 1)
    keep = (1 << shift) - 1
    remainder = 0
    for byte in block:
        remainder = ((remainder & keep) << 8) ^ table[(remainder >> shift) ^ byte]
    return remainder.to_bytes(ec_count)


@functools.cache
def _generator_multiples(ec_count: int) -> tuple[int, ...]:
    """Every byte times the generator polynomial (leading term dropped), packed into an int."""
    generator = [1]
    for i in range(ec_count):
        root = qrcode.base.gexp(i)
        generator = [
            a ^ _multiply(b, root) for a, b in zip(generator + [0], [0] + generator, strict=True)
        ]
    return tuple(
        int.from_bytes(bytes(_multiply(factor, c) for c in generator[1:])) for factor in range(256)
    )


def _multiply(a: int, b: int) -> int:
    if a == 0 or b == 0:
        return 0
    return int(qrcode.base.gexp(qrcode.base.glog(a) + qrcode.base.glog(b)))


def _layout(version: int, error_correction: int, mask: int) -> list[list[bool | None]]:
    """Function patterns, format and version bits for ``mask``; data cells left as None."""
    code = qrcode.QRCode(version=version, error_correction=error_correction, border=0)
    size = code.modules_count = version * 4 + 17
    code.modules = [[None] * size for _ in range(size)]
    code.setup_position_probe_pattern(0, 0)
    code.setup_position_probe_pattern(size - 7, 0)
    code.setup_position_probe_pattern(0, size - 7)
    code.setup_position_adjust_pattern()
    code.setup_timing_pattern()
    code.setup_type_info(False, mask)
    if version >= 7:
        code.setup_type_number(False)
    return code.modules


@functools.cache
def _masked_base(version: int, error_correction: int) -> Matrix:
    """Per mask, flattened: function patterns as they are, data cells holding the mask bits."""
    size = version * 4 + 17
    i, j = np.indices((size, size))
    patterns = (
        (i + j) % 2 == 0,
        i % 2 == 0,
        j % 3 == 0,
        (i + j) % 3 == 0,
        (i // 2 + j // 3) % 2 == 0,
        (i * j) % 2 + (i * j) % 3 == 0,
        ((i * j) % 2 + (i * j) % 3) % 2 == 0,
        ((i * j) % 3 + (i + j) % 2) % 2 == 0,
    )
    layers = []
    for mask, pattern in enumerate(patterns):
        layout = _layout(version, error_correction, mask)
        free = np.array([[cell is None for cell in row] for row in layout], dtype=bool)
        fixed = np.array([[bool(cell) for cell in row] for row in layout], dtype=bool)
        layers.append(np.where(free, pattern, fixed).ravel())
    return np.stack(layers)


@functools.cache
def _placement(version: int) -> Indices:
    """Flat indices of the data cells in placement order (two-column zigzag from bottom right)."""
    layout = _layout(version, qrcode.constants.ERROR_CORRECT_M, 0)  # same cells at every level
    size = len(layout)
    order = []
    upward = True
    for right in range(size - 1, 0, -2):
        column = right - 1 if right <= 6 else right
        rows = range(size - 1, -1, -1) if upward else range(size)
        for row in rows:
            for c in (column, column - 1):
                if layout[row][c] is None:
                    order.append(row * size + c)
        upward = not upward
    return np.array(order, dtype=np.intp)


def _penalties(stack: Matrix) -> NDArray[np.int64]:
    """Penalty N1 + N2 + N3 + N4 of each symbol in the stack."""
    count, size, _ = stack.shape
    width = size + 11
    across, down, cells = _frames(size)
    # Bit k of ``dark`` is cell k of a flat sequence: per mask, its rows then its columns, each
    # line with 4 light cells before it and 7 after (so every mask fills whole bytes).
    lines = np.zeros((count, 2, size, width), dtype=bool)
    lines[:, 0, :, 4 : size + 4] = stack
    lines[:, 1, :, 4 : size + 4] = stack.transpose(0, 2, 1)
    dark = int.from_bytes(np.packbits(lines, bitorder="little").tobytes(), "little")
    light = dark ^ cells
    same = ~(dark ^ (dark >> 1)) & across  # cells k and k + 1 in one line, one colour
    # N1: a run of length L >= 5 scores L - 2: one per five-module window, plus 2 per run.
    pairs = same & (same >> 1)
    fives = pairs & (pairs >> 2)
    starts = fives & ~(same << 1)
    # N2: 3 per 2×2 block of one colour.
    blocks = same & (same >> width) & ~(dark ^ (dark >> width)) & down
    # N3: 40 per 1:1:3:1:1 dark-light pattern with four light modules before or after it.
    core = dark & (light >> 1) & (dark >> 2) & (dark >> 3) & (dark >> 4) & (light >> 5)
    core &= dark >> 6
    light4 = light & (light >> 1)
    light4 &= light4 >> 2
    flags = (fives, starts, blocks, core & (light4 << 4), core & (light4 >> 7), dark)
    length = lines.size // 8
    packed = b"".join(flag.to_bytes(length, "little") for flag in flags)
    per_mask = np.frombuffer(packed, np.uint8).reshape(len(flags), count, -1)
    n1, n1_runs, n2, n3_before, n3_after, dark_twice = np.bitwise_count(per_mask).sum(
        axis=2, dtype=np.int64
    )
    # N4: 10 per 5 % the share of dark modules is away from half (rows and columns both hold
    # every dark module once).
    n4 = 10 * (np.abs(50 * dark_twice - 50 * size * size) // (5 * size * size))
    total: NDArray[np.int64] = n1 + 2 * n1_runs + 3 * n2 + 40 * (n3_before + n3_after) + n4
    return total


@functools.cache
def _frames(size: int) -> tuple[int, int, int]:
    """Bit masks over the flat line sequence: pairs of cells side by side within a line; pairs
    one line apart within a mask's rows; every cell."""
    across = np.zeros((8, 2, size, size + 11), dtype=bool)
    across[:, :, :, 4 : size + 3] = True
    down = np.zeros_like(across)
    down[:, 0, :-1, 4 : size + 4] = True
    return _bits(across), _bits(down), (1 << across.size) - 1


def _bits(flags: Matrix) -> int:
    """The flags as one integer, bit k = flat element k."""
    return int.from_bytes(np.packbits(flags, bitorder="little").tobytes(), "little")
