"""Writing what sleuth produces: atomically, never over anything but a regular file, never over an
existing file unless asked.

Every command that writes a file (incidents from captures and imports, graph
exports, learned packs, traces) goes through ``StagedFile``:

- the destination is checked before any work (``check_destination``), so a
  capture or a batch never runs only to find it cannot be saved;
- what is written goes to a temporary file beside the destination (the same
  directory, so the same filesystem) and is moved into place in one step once
  complete, so a reader never sees half a file;
- a destination that exists and is not a regular file (a FIFO, a device, a
  directory, a symbolic link) is refused whatever ``force`` says: replacing
  ``/dev/full`` or the target of a link is never what ``--out`` meant;
- an existing regular file is replaced only with ``force``; without it the
  move is a hard link, which fails if a file appeared meanwhile.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from pathlib import Path
from types import TracebackType

from sources.errors import OutputError
from sources.regular_files import os_reason

_KINDS = (
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def _kind(mode: int) -> str | None:
    """What a non-regular file is, or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def _existing(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        raise OutputError(path, f"cannot create it: {_file_ancestor(path)} is not a directory") from None
    except OSError as exc:
        raise OutputError(path, os_reason(exc)) from None


def _file_ancestor(path: Path) -> Path:
    """The first ancestor of ``path`` that exists and is not a directory (what stops it being created)."""
    for ancestor in reversed(path.parents):
        if ancestor.exists() and not ancestor.is_dir():
            return ancestor
    return path.parent


def _refuse_existing(path: Path, info: os.stat_result, force: bool) -> None:
    kind = _kind(info.st_mode)
    if kind is not None:
        raise OutputError(
            path, f"is {kind}; sleuth writes only regular files (remove it or choose another path)"
        )
    if not force:
        raise OutputError(path, "already exists; pass --force to replace it")


def check_destination(path: Path, *, force: bool = False, parents: bool = True) -> None:
    """Raise ``OutputError`` (one line, naming ``path``) when writing there would fail or clobber.

    Whether the directory takes a new file is proven by creating and removing one
    there (permissions alone do not tell: ``/proc`` and ``/sys`` refuse even root).
    """
    info = _existing(path)
    if info is not None:
        _refuse_existing(path, info, force)
    check_folder(path.parent, parents=parents, target=path)


def check_folder(folder: Path, *, parents: bool = True, target: Path | None = None) -> None:
    """Raise ``OutputError`` (naming ``target``, else ``folder``) unless files can be created in
    ``folder``, or, with ``parents``, it can be created."""
    path = target or folder
    try:
        _check_folder(folder, parents, path, target is None)
    except OutputError:
        raise
    except OSError as exc:
        raise OutputError(path, os_reason(exc)) from None


def _check_folder(folder: Path, parents: bool, path: Path, is_target: bool) -> None:
    if is_target and folder.exists() and not folder.is_dir():
        raise OutputError(folder, "is not a directory")
    while not folder.exists():
        if not parents:
            raise OutputError(path, f"no such directory {folder}")
        if folder.is_symlink():
            raise OutputError(path, f"cannot create it: {folder} is a dangling symbolic link")
        folder = folder.parent
    if not folder.is_dir():
        raise OutputError(path, f"cannot create it: {folder} is not a directory")
    probe = folder / f".sleuth-probe-{secrets.token_hex(6)}"
    try:
        os.close(os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_CLOEXEC", 0), 0o600))
        os.unlink(probe)
    except OSError as exc:
        raise OutputError(path, f"cannot write in {folder}: {os_reason(exc)}") from None


class StagedFile:
    """A file written beside its destination and moved into place whole by ``commit``.

    As a context manager it commits when the block ends normally and discards
    the temporary file when it raises; callers that must keep what they wrote on
    an interruption (a trace, a capture) call ``commit`` themselves.
    """

    def __init__(self, path: Path, *, force: bool = False, parents: bool = True) -> None:
        check_destination(path, force=force, parents=parents)
        self.path = path
        self.force = force
        if parents:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise OutputError(path, f"cannot create its directory: {os_reason(exc)}") from None
        self.tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
        try:
            fd = os.open(self.tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_CLOEXEC", 0), 0o666)
        except OSError as exc:
            raise OutputError(path, f"cannot write in {path.parent}: {os_reason(exc)}") from None
        self._file = open(fd, "w", encoding="utf-8")  # noqa: SIM115 - closed by commit or discard
        self.done = False

    def write(self, text: str) -> None:
        try:
            self._file.write(text)
        except OSError as exc:
            raise OutputError(self.path, os_reason(exc)) from None

    def commit(self) -> Path:
        """Move the complete file into place; on any failure the temporary file is removed."""
        if self.done:
            return self.path
        try:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            self._place()
        except OutputError:
            self.discard()
            raise
        except OSError as exc:
            self.discard()
            raise OutputError(self.path, os_reason(exc)) from None
        except BaseException:
            self.discard()
            raise
        self.done = True
        _sync_directory(self.path.parent)
        return self.path

    def _place(self) -> None:
        info = _existing(self.path)
        if info is not None:
            _refuse_existing(self.path, info, self.force)
            os.chmod(self.tmp, stat.S_IMODE(info.st_mode))
            os.replace(self.tmp, self.path)
            return
        try:
            os.link(self.tmp, self.path)
        except FileExistsError:
            raise OutputError(self.path, "already exists; pass --force to replace it") from None
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK, errno.EXDEV):
                raise
            # no hard links here (FAT, some network filesystems): the lstat above is the best there is
            os.replace(self.tmp, self.path)
            return
        os.unlink(self.tmp)

    def discard(self) -> None:
        """Drop what was written; the destination is left as it was."""
        self.done = True
        with contextlib.suppress(OSError):
            self._file.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.tmp)

    def __enter__(self) -> StagedFile:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()


def _sync_directory(folder: Path) -> None:
    """Make the rename durable; a filesystem that cannot sync a directory is no reason to fail."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_text(path: Path, text: str, *, force: bool = False, parents: bool = True) -> Path:
    """Write ``text`` to ``path`` as ``StagedFile`` does; returns ``path``."""
    with StagedFile(path, force=force, parents=parents) as out:
        out.write(text)
    return path
