"""Is this file a whole, undamaged DuckDB store?

DuckDB refuses some bad files itself, but not in words a user can act on (a text file is "not a
valid DuckDB database file", an SQLite file makes it try to download an extension), and it only
notices a damaged block when a query happens to read it: a bit flipped in a table a command does
not touch goes unnoticed until a later command fails half-way, perhaps after writing. So the file
is checked whole: its header before DuckDB opens it, then (holding DuckDB's lock, so no writer is
mid-checkpoint) its length against the blocks in use and every block's checksum (DuckDB's own: an
8-byte checksum heads each block). numpy checks about 1 GB a second; a file whose size and
modification time have not changed since it last passed is not read again.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np

MAGIC = b"DUCK"
SQLITE_MAGIC = b"SQLite format 3\x00"
HEADER_SIZE = 4096  # the main header, then two database headers, each 4096 bytes
DATA_START = 3 * HEADER_SIZE
CHECKSUM_FACTOR = np.uint64(0xBF58476D1CE4E5B9)
CHECKSUM_SEED = np.uint64(5381)
BLOCKS_PER_READ = 64  # 16 MB at a time: memory stays flat whatever the store's size
RESTORE = "restore it from a backup, or load the exports again into a new --db"


HANDLES_KEPT = 32
_handles: dict[str, tuple[int, int]] = {}  # real path -> (inode, descriptor) kept open, least recent first


class StoreError(Exception):
    """The store cannot be used; the message names the file and what to do (one line)."""


def checksum(words: np.ndarray) -> np.ndarray:
    """DuckDB's block checksum over rows of 64-bit words (one row per block)."""
    with np.errstate(over="ignore"):
        return np.bitwise_xor.reduce(words * CHECKSUM_FACTOR, axis=-1) ^ CHECKSUM_SEED


def _read_at(path: Path, size: int, offset: int) -> bytes:
    """Read the store through one descriptor kept open for the life of the process.

    DuckDB locks the store with POSIX record locks, which belong to the process and are
    dropped when *any* descriptor of the file is closed: a check that opened and closed the
    file while a connection is open would free DuckDB's lock for other processes to write.
    """
    real = os.path.realpath(path)
    inode = os.stat(real).st_ino
    known = _handles.pop(real, None)
    if known is not None and known[0] != inode:
        os.close(known[1])  # a replaced file: its locks were on the old inode
        known = None
    if known is None:
        known = (inode, os.open(real, os.O_RDONLY | os.O_CLOEXEC))
        if len(_handles) >= HANDLES_KEPT:  # a process that has used this many stores (a test run)
            os.close(_handles.pop(next(iter(_handles)))[1])
    _handles[real] = known
    return os.pread(known[1], size, offset)


def check_header(path: Path) -> None:
    """Raise StoreError unless `path` starts like a DuckDB store (before DuckDB sees it: an
    SQLite file would make DuckDB try to download its SQLite extension)."""
    try:
        if not Path(path).is_file():
            raise StoreError(f"{path} is not a file; give --db the path of a store file")
        size = os.stat(path).st_size
        head = _read_at(path, 12, 0)
    except PermissionError:
        raise StoreError(f"{path}: permission denied; ask the store's owner for access, or use a store of your own") from None
    if size == 0:
        raise StoreError(f"{path} is empty (0 bytes), not a DuckDB store; delete it or give --db another path")
    if head.startswith(SQLITE_MAGIC[:12]):
        raise StoreError(f"{path} is an SQLite database, not a DuckDB store; give --db a DuckDB store (or a new path to create one)")
    if head[8:12] != MAGIC:
        raise StoreError(f"{path} is not a DuckDB store; give --db a DuckDB store (or a new path to create one)")
    if size < DATA_START:
        raise StoreError(f"{path} is truncated ({size:,} bytes, shorter than a DuckDB header); {RESTORE}")


def check_blocks(path: Path, used_blocks: int, verified_marker: Path | None = None) -> None:
    """Raise StoreError when blocks are missing or one fails its checksum. Call it while holding
    DuckDB's lock on the file (a writer mid-checkpoint would look like damage).

    `used_blocks`: how many blocks DuckDB says are in use (a file holding fewer was cut short;
    free blocks at the end are legitimately cut off). `verified_marker`: where the signature
    (size, mtime, inode) of the file that last passed is kept, so an unchanged store is not
    read again.
    """
    signature = _signature(path)
    if verified_marker is not None and _read(verified_marker) == signature:
        return
    head = _read_at(path, DATA_START, 0)
    if len(head) == DATA_START and _headers_verify(head):
        _check_blocks(path, head, os.stat(path).st_size, used_blocks)
    if verified_marker is not None:
        _write(verified_marker, signature)


def record_written(path: Path, verified_marker: Path) -> None:
    """Record the file as it stands as verified. For a writer, after its checkpoint and while it
    holds DuckDB's lock: each block is either one checked when it opened the file or one DuckDB
    has just written with its checksum, so the next command need not read them all again (a
    2 GB store took a second of every command after a load). A later change to the file changes
    its signature, and the next command reads it whole."""
    _write(verified_marker, _signature(path))


def _signature(path: Path) -> str:
    info = os.stat(path)
    return f"{info.st_size} {info.st_mtime_ns} {info.st_ino}"


def _headers_verify(head: bytes) -> bool:
    """The three header blocks pass our checksum: the file uses the layout this code knows.
    (If not, DuckDB itself reports the damage when it opens the file.)"""
    words = np.frombuffer(head, dtype="<u8").reshape(3, HEADER_SIZE // 8)
    return bool((checksum(words[:, 1:]) == words[:, 0]).all())


def _active_header(head: bytes) -> tuple[int, int]:
    """(block count, block size) from the database header with the higher iteration."""
    fields = [struct.unpack_from("<6Q", head, offset) for offset in (HEADER_SIZE, 2 * HEADER_SIZE)]
    _, _, _, _, block_count, block_size = max(fields, key=lambda f: f[1])
    return block_count, block_size


def _check_blocks(path: Path, head: bytes, size: int, used_blocks: int) -> None:
    block_count, block_size = _active_header(head)
    if block_size <= 0 or block_size % 8 or block_size > 1 << 30:
        return
    present = (size - DATA_START) // block_size
    if present < used_blocks:
        raise StoreError(f"{path} is truncated: it holds {present} blocks, {used_blocks} are in use; {RESTORE}")
    blocks = min(block_count, present)
    for first in range(0, blocks, BLOCKS_PER_READ):
        n = min(BLOCKS_PER_READ, blocks - first)
        data = _read_at(path, n * block_size, DATA_START + first * block_size)
        words = np.frombuffer(data, dtype="<u8").reshape(n, block_size // 8)
        bad = np.flatnonzero(checksum(words[:, 1:]) != words[:, 0])
        if len(bad):
            raise StoreError(f"{path} is damaged: block {first + int(bad[0])} fails its checksum; {RESTORE}")


def _read(marker: Path) -> str | None:
    try:
        return marker.read_text()
    except OSError:
        return None


def _write(marker: Path, signature: str) -> None:
    """Best effort: a marker that cannot be written only means the next run checks again."""
    try:
        marker.parent.mkdir(mode=0o700, exist_ok=True)
        tmp = marker.with_name(f".{marker.name}.{os.getpid()}")
        tmp.write_text(signature)
        os.replace(tmp, marker)
    except OSError:
        pass
