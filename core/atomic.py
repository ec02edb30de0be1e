"""Writing files safely as root: atomic, ``O_EXCL``, never through a planted link.

Every file this project writes (``report --lock``, ``record``, cache entries,
``new-provider``) goes through :func:`write_atomic` or a :class:`SafeTree`:

* the data goes to a fresh temporary file created with ``O_EXCL`` and
  ``O_NOFOLLOW`` *in the target's directory*, then ``os.replace`` moves it
  into place: a reader sees the old file or the new one, and a symlink
  planted under a predictable temporary name cannot redirect the write;
* the target itself must be absent or a regular file: a symlink, a device
  node or a FIFO at the target is refused, not replaced or written through;
* inside a :class:`SafeTree`, every directory below the root is entered with
  ``O_NOFOLLOW``, so a link planted inside the tree cannot lead a write
  outside it.

The directory the user named (``record DIR``, the lock file's directory) is
opened as given: following a link there is what the user asked for.
"""

from __future__ import annotations

import errno
import os
import stat
from typing import Optional, Union

__all__ = ["SafeTree", "write_atomic"]

PathArg = Union[str, "os.PathLike[str]"]

_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_TMP_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
_TMP_FLAGS |= getattr(os, "O_BINARY", 0)  # Windows: no newline translation
#: Whether directories can be held open (POSIX); elsewhere paths are used.
_DIR_FD = {os.open, os.mkdir, os.rename, os.stat} <= os.supports_dir_fd


def _refuse_unless_regular(name: str, where: str, dir_fd: Optional[int]) -> None:
    try:
        st = os.lstat(name, dir_fd=dir_fd) if dir_fd is not None else os.lstat(name)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(st.st_mode):
        raise OSError(errno.ELOOP, "refusing to write through a symlink", where)
    if not stat.S_ISREG(st.st_mode):
        raise OSError(errno.EEXIST, "refusing to replace what is not a regular file", where)


def _write_in(dir_fd: Optional[int], directory: str, name: str, data: bytes, mode: int) -> None:
    """Write *name* in a directory given by descriptor (POSIX) or by path."""
    where = os.path.join(directory, name)
    _refuse_unless_regular(name if dir_fd is not None else where, where, dir_fd)
    for _ in range(100):
        tmp = f".{name}.{os.urandom(6).hex()}.tmp"  # secrets.token_hex, without hmac
        try:
            if dir_fd is not None:
                fd = os.open(tmp, _TMP_FLAGS, mode, dir_fd=dir_fd)
            else:
                fd = os.open(os.path.join(directory, tmp), _TMP_FLAGS, mode)
            break
        except FileExistsError:
            continue
    else:  # pragma: no cover - 100 collisions of 48 random bits
        raise OSError(errno.EEXIST, "cannot create a temporary file", where)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        if dir_fd is not None:
            os.replace(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        else:
            os.replace(os.path.join(directory, tmp), where)
    except BaseException:
        try:
            if dir_fd is not None:
                os.unlink(tmp, dir_fd=dir_fd)
            else:
                os.unlink(os.path.join(directory, tmp))
        except OSError:
            pass
        raise


def write_atomic(path: PathArg, data: bytes, mode: int = 0o644) -> None:
    """Replace the regular file *path* by *data* atomically (see module docs).

    The directory must exist.  Raises :class:`OSError` (``ELOOP`` for a
    symlink at *path*, ``EEXIST`` for something that is not a regular file).
    """
    directory, name = os.path.split(os.fspath(path))
    directory = directory or "."
    if not name:
        raise OSError(errno.EISDIR, "is a directory", os.fspath(path))
    if not _DIR_FD:
        _write_in(None, directory, name, data, mode)
        return
    dir_fd = os.open(directory, _DIR_FLAGS)
    try:
        _write_in(dir_fd, directory, name, data, mode)
    finally:
        os.close(dir_fd)


class SafeTree:
    """A directory tree written into without following links planted inside it.

    >>> tree = SafeTree("out")                    # doctest: +SKIP
    >>> tree.write("root/proc/cpuinfo", b"...")   # doctest: +SKIP
    """

    def __init__(self, root: PathArg, dir_mode: int = 0o755) -> None:
        self.root = os.fspath(root)
        self.dir_mode = dir_mode
        os.makedirs(self.root, mode=dir_mode, exist_ok=True)

    def _parts(self, relative: str) -> list[str]:
        parts = [p for p in relative.split("/") if p not in ("", ".")]
        if not parts or ".." in parts:
            raise OSError(errno.EINVAL, "not a path inside the tree", relative)
        return parts

    def _open_dir(self, parts: list[str]) -> int:
        """A descriptor of root/parts..., creating directories, never following links."""
        fd = os.open(self.root, _DIR_FLAGS)
        try:
            for index, part in enumerate(parts):
                try:
                    os.mkdir(part, self.dir_mode, dir_fd=fd)
                except FileExistsError:
                    pass
                try:
                    child = os.open(part, _DIR_FLAGS | _NOFOLLOW, dir_fd=fd)
                except OSError as exc:
                    where = os.path.join(self.root, *parts[: index + 1])
                    if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                        raise OSError(
                            exc.errno, "not a directory (a symlink is not followed)", where
                        ) from None
                    raise
                os.close(fd)
                fd = child
        except BaseException:
            os.close(fd)
            raise
        return fd

    def write(self, relative: str, data: bytes, mode: int = 0o644) -> str:
        """Write *relative* (a ``/``-separated path) atomically; return its path."""
        *dirs, name = self._parts(relative)
        where = os.path.join(self.root, *dirs)
        if not _DIR_FD:
            os.makedirs(where, mode=self.dir_mode, exist_ok=True)
            _write_in(None, where, name, data, mode)
        else:
            fd = self._open_dir(dirs)
            try:
                _write_in(fd, where, name, data, mode)
            finally:
                os.close(fd)
        return os.path.join(where, name)

    def exists(self, relative: str) -> bool:
        """Whether *relative* exists in the tree (a link counts, and is not followed)."""
        *dirs, name = self._parts(relative)
        if not _DIR_FD:
            return os.path.lexists(os.path.join(self.root, *dirs, name))
        try:
            fd = self._open_dir(dirs)
        except OSError:
            return True  # something is in the way: treat the path as taken
        try:
            os.lstat(name, dir_fd=fd)
        except FileNotFoundError:
            return False
        finally:
            os.close(fd)
        return True
