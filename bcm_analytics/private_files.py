"""What bcm writes to disk is private: files 0600, folders 0700, whatever the umask.

The store, patient-level workbooks and CSVs, internal reports, and the temporary copies the
loader and DuckDB make all hold patient data. Every writer goes through the few functions here,
so "private by default" is one rule in one place instead of a chmod after each write. Sharing
(the user's umask applies) is an explicit opt-in for aggregate outputs only.

Temporary files live beside the store in `<store>.tmp/`, one `run-*` folder per process. A
process holds a lock on its folder while it lives; the next start removes the folders whose lock
is free, which is how a killed run's leftovers (DuckDB spill files, a UTF-16 export's UTF-8 copy)
disappear.
"""

from __future__ import annotations

import atexit
import fcntl
import glob
import os
import re
import secrets
import shutil
import stat
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
RUN_PREFIX = "run-"
MAKING_PREFIX = "new-"  # a run folder being set up

PARTIAL = ".partial"  # an output being written (output()): `.NAME.PID.partial` beside it
PARTIAL_NAME = re.compile(r"(?P<folder>(?:.*/)?)\.(?P<name>[^/]+)\.\d+" + re.escape(PARTIAL))
_user_umask: int | None = None  # the umask before private_umask() tightened it (what --share uses)
_runs: dict[Path, tuple[Path, int]] = {}  # temp root -> (this process's run folder, its lock)
_last_output: list[Path] = []  # the output being written, for a full disk's message (writers rarely say)


def current_umask() -> int:
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


@contextmanager
def private_umask():
    """Within: whatever anyone creates is private, also the files bcm does not write itself
    (DuckDB's write-ahead log, which it re-creates after every checkpoint). The CLI runs each
    command inside this."""
    global _user_umask
    outer = _user_umask
    previous = os.umask(0o077)
    if outer is None:
        _user_umask = previous
    try:
        yield
    finally:
        os.umask(previous)
        _user_umask = outer


def _modes(share: bool) -> tuple[int, int]:
    """(file mode, folder mode): private, or what the user's own umask gives when shared."""
    if not share:
        return PRIVATE_FILE, PRIVATE_DIR
    mask = _user_umask if _user_umask is not None else current_umask()
    return 0o666 & ~mask, 0o777 & ~mask


def make_folder(folder: str | Path, *, share: bool = False) -> Path:
    """Create `folder` and its missing parents 0700 (folders that already exist keep their mode)."""
    folder = Path(folder)
    missing = []
    for parent in (folder, *folder.parents):
        if os.path.lexists(parent):
            break
        missing.append(parent)
    mode = _modes(share)[1]
    for path in reversed(missing):
        try:
            path.mkdir(mode=mode)
        except FileExistsError:
            continue
        os.chmod(path, mode)  # mkdir's mode passes through the umask
    return folder


def set_mode(path: str | Path, *, share: bool = False) -> Path:
    """Give an existing regular file its final mode (devices and pipes are left alone)."""
    path = Path(path)
    if stat.S_ISREG(os.stat(path).st_mode):
        os.chmod(path, _modes(share)[0])
    return path


def prepare_output(path: str | Path, *, share: bool = False) -> Path:
    """Make `path` exist with its final mode before a writer (pandas, pyarrow, XlsxWriter) fills it.

    Writers open an existing file with truncation, which keeps its mode: the data never sits in
    a world-readable file, not even for the moment between writing and a chmod.
    """
    path = Path(path)
    _last_output[:] = [path]
    make_folder(path.parent, share=share)
    mode = _modes(share)[0]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, mode)
    try:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            os.fchmod(fd, mode)
    finally:
        os.close(fd)
    return path


@contextmanager
def output(path: str | Path, *, share: bool = False):
    """Yield the file to write `path` through: a private file beside it (prepare_output's mode) that
    takes its name once the writer has finished. A writer stopped half-way (a full disk, Ctrl-C)
    leaves the earlier file whole and nothing partial: a failed rewrite of a finance workbook left
    it at 0 bytes, and a report cut off mid-table. A path that is not a regular file (a pipe,
    /dev/stdout) is written in place."""
    given = Path(path)
    final = Path(os.path.realpath(given)) if given.is_symlink() else given  # a link keeps pointing at the output
    if final.exists() and not final.is_file():
        yield prepare_output(given, share=share)
        return
    _remove_abandoned_partials(final)
    partial = prepare_output(final.with_name(f".{final.name}.{os.getpid()}{PARTIAL}"), share=share)
    _last_output[:] = [given]  # what messages name
    try:
        yield partial
        os.replace(partial, final)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _remove_abandoned_partials(final: Path) -> None:
    """Remove the partial files of `final` that a killed writer left (kill -9 and a power cut run no
    clean-up): a half-written copy of a patient list stayed beside it for good. A partial whose
    process is alive (or is another user's, which this one cannot tell) is left to it."""
    for found in final.parent.glob(f".{glob.escape(final.name)}.*{PARTIAL}"):
        pid = found.name[len(final.name) + 2:-len(PARTIAL)]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            found.unlink(missing_ok=True)
        except OSError:
            pass


def final_name(name: str) -> str:
    """The output a partial file (output()) stands for, as messages name it."""
    found = PARTIAL_NAME.fullmatch(str(name))
    return f"{found['folder']}{found['name']}" if found else str(name)


def last_output(forget: bool = False) -> Path | None:
    """The output most recently prepared in this process (`forget`: and start afresh)."""
    found = _last_output[0] if _last_output else None
    if forget:
        _last_output.clear()
    return found


def log_folder() -> Path:
    """Where what a user needs to report a failure is kept: $BCM_LOG_DIR, else ~/.cache/bcm/logs,
    else `bcm-<uid>/logs` in the system temp dir when both are real folders of ours (in a shared
    temp dir another user could have made them, or planted a link), else a new temp folder;
    private (0700) in each case."""
    candidates = [os.environ.get("BCM_LOG_DIR"),
                  os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "bcm", "logs")]
    for candidate in filter(None, candidates):
        try:
            folder = make_folder(candidate)
            if os.access(folder, os.W_OK):
                return folder
        except OSError:
            continue
    mine = _usable_root(Path(tempfile.gettempdir()) / f"bcm-{os.getuid()}")
    return (mine and _usable_root(mine / "logs")) or Path(tempfile.mkdtemp(prefix="bcm-logs-"))


def write_text(path: str | Path, text: str, *, share: bool = False) -> Path:
    """Write a text file (a report, a JSON result) privately, or shared when asked."""
    with output(path, share=share) as partial, open(partial, "w", encoding="utf-8") as f:
        f.write(text)
    return Path(path)


# --- temporary space -------------------------------------------------------------------------


def beside(db: str | Path) -> Path:
    """`<store>.tmp`, the store's private folder (not created here)."""
    return Path(db).absolute().with_name(Path(db).name + ".tmp")


def verified_marker(db: str | Path) -> Path:
    """Where the signature of the store file that last passed its check is kept (integrity.py)."""
    return beside(db) / "verified"


def discard(db: str | Path) -> None:
    """The store was removed (a first load that loaded nothing): so goes its private folder,
    this process's run in it, and the folder itself unless another run is using it."""
    root = beside(db)
    run = _runs.pop(root, None)
    if run is not None:
        shutil.rmtree(run[0], ignore_errors=True)
        os.close(run[1])
    verified_marker(db).unlink(missing_ok=True)
    try:
        root.rmdir()
    except OSError:
        pass


def temp_root(db: str | Path | None) -> Path:
    """`<store>.tmp` beside the store; for an in-memory store, or a folder bcm may not write,
    a per-user folder in the system temp dir (still 0700, still swept)."""
    if db is not None and str(db) != ":memory:":
        if _usable_root(beside(db)):
            return beside(db)
    return _usable_root(Path(tempfile.gettempdir()) / f"bcm-{os.getuid()}") or Path(tempfile.mkdtemp(prefix="bcm-"))


def _usable_root(root: Path) -> Path | None:
    """The folder, created 0700 if missing, when it is a real folder of ours (not a symlink
    planted in a shared temp dir) that we can write; else None."""
    try:
        make_folder(root)
        info = os.lstat(root)
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or not os.access(root, os.W_OK | os.X_OK):
        return None
    if info.st_mode & 0o077:
        os.chmod(root, PRIVATE_DIR)
    return root


def run_folder(db: str | Path | None) -> Path:
    """This process's private temporary folder for the store `db`, created once per process.

    The first call also removes folders left by runs that were killed (their lock is free).
    """
    root = temp_root(db)
    if root in _runs:
        return _runs[root][0]
    sweep(root)
    name = f"{os.getpid()}-{secrets.token_hex(4)}"
    making = root / f"{MAKING_PREFIX}{name}"  # locked before it is named run-*, so no sweep takes it
    making.mkdir(mode=PRIVATE_DIR)
    os.chmod(making, PRIVATE_DIR)
    lock = os.open(making / ".lock", os.O_CREAT | os.O_RDWR, PRIVATE_FILE)
    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    folder = root / f"{RUN_PREFIX}{name}"
    os.rename(making, folder)
    _runs[root] = (folder, lock)
    if len(_runs) == 1:
        atexit.register(_remove_runs)
    return folder


def sweep(root: Path) -> list[Path]:
    """Remove the run folders under `root` no live process holds; returns what was removed."""
    removed = []
    for entry in sorted([*root.glob(f"{RUN_PREFIX}*"), *root.glob(f"{MAKING_PREFIX}*")]):
        if any(entry == mine for mine, _ in _runs.values()) or not entry.is_dir() or entry.is_symlink():
            continue
        if entry.name.startswith(MAKING_PREFIX) and not _older_than(entry, 60):
            continue  # another process is setting it up this instant
        try:
            fd = os.open(entry / ".lock", os.O_RDWR)
        except OSError:
            if entry.name.startswith(MAKING_PREFIX):  # killed before it could lock
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry)
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            continue  # a live process
        else:
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
        finally:
            os.close(fd)
    return removed


def _older_than(path: Path, seconds: float) -> bool:
    try:
        return time.time() - path.stat().st_mtime > seconds
    except OSError:
        return False  # gone meanwhile (renamed to run-*, or removed)


def _remove_runs() -> None:
    for root, (folder, lock) in list(_runs.items()):
        shutil.rmtree(folder, ignore_errors=True)
        os.close(lock)
        try:
            root.rmdir()  # only when nothing else is left in it
        except OSError:
            pass
    _runs.clear()
