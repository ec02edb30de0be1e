"""Opening one file that may be hostile, with nothing imported beyond ``os``.

The core of :mod:`variant_providers.safefs` (which re-exports all of it): the
warm path (:mod:`variant_providers.warm`) reads its record and re-reads a
provider's fingerprint files with exactly the checks every other read gets,
without paying for ``logging``, ``json`` or ``typing``.
"""

from __future__ import annotations

import errno
import os
import stat

__all__ = ["MAX_INPUT_BYTES", "UntrustedFile", "open_regular", "read_bytes", "untrusted_reason"]

#: Largest input file (variants.json, lock, machine.json) read by default.
MAX_INPUT_BYTES = 64 * 1024 * 1024


class UntrustedFile(OSError):
    """A private file (or its directory) that another user could have written."""


def open_regular(path: str | os.PathLike[str], *, private: bool = False) -> int:
    """Open *path* for reading without blocking; the descriptor of a regular file.

    Raises :class:`OSError`: ``EISDIR`` for a directory, ``EINVAL`` for
    anything else that is not a regular file (FIFO, socket, device), and
    :class:`UntrustedFile` when *private* and the file is not the current
    user's own (or is a symlink).
    """
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    flags |= getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)  # POSIX only
    if private:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if private and exc.errno == errno.ELOOP:
            raise UntrustedFile(errno.ELOOP, "is a symlink", str(path)) from None
        raise
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise OSError(errno.EISDIR, "is a directory", str(path))
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        if private:
            reason = untrusted_reason(st)
            if reason:
                raise UntrustedFile(errno.EPERM, reason, str(path))
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_bytes(
    path: str | os.PathLike[str], limit: int = MAX_INPUT_BYTES, *, private: bool = False
) -> bytes:
    """The content of the regular file *path*, refused (``EFBIG``) beyond *limit* bytes."""
    fd = open_regular(path, private=private)
    try:
        chunks = []
        size = 0
        while size <= limit:
            try:
                data = os.read(fd, min(limit + 1 - size, 1 << 20))
            except BlockingIOError:  # pragma: no cover - regular files never block
                continue
            if not data:
                break
            chunks.append(data)
            size += len(data)
    finally:
        os.close(fd)
    if size > limit:
        raise OSError(errno.EFBIG, f"larger than {limit} bytes", str(path))
    return b"".join(chunks)


def untrusted_reason(st: os.stat_result) -> str | None:
    """Why a file or directory with status *st* may not be trusted, or ``None``.

    Trusted means: owned by the current user and not writable by group or
    others (the rule pip applies to its cache).  Always trusted where there
    are no POSIX owners (Windows).
    """
    if not hasattr(os, "geteuid"):
        return None
    uid = os.geteuid()
    if st.st_uid != uid:
        return f"owned by uid {st.st_uid}, not by the current user (uid {uid})"
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"writable by other users (mode {stat.S_IMODE(st.st_mode):o})"
    return None
