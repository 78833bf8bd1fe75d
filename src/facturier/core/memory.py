"""How a web worker holds its memory between requests."""

import ctypes
import platform

# glibc's mallopt parameters (malloc.h).
M_TRIM_THRESHOLD = -1
M_MMAP_MAX = -4
HASH_MEMORY = 256 * 1024 * 1024


def keep_hash_memory() -> bool:
    """Let the process keep the memory of its last password hash for the next one.

    Argon2id asks for 100 MiB per sign-in (Django's parameters). glibc serves so large
    a request with a fresh mapping and returns it to the kernel when the hash is done,
    so every sign-in pays again for 25,600 zeroed pages (bench.sign_in measures it).
    With these two knobs every large block comes from the heap instead, and up to
    256 MiB freed at its top stay with the process: the next sign-in reuses the same
    pages. This holds in the process's main thread, where a sync web worker (gunicorn's
    default, what `manage.py serve` starts) answers; another thread's blocks that large
    are still mapped afresh. A worker then keeps the memory of its largest request (a
    sign-in: 100 MiB) once it has served one. Only glibc has these knobs; elsewhere
    nothing changes. Returns whether they were set."""
    if platform.libc_ver()[0] != "glibc":
        return False
    libc = ctypes.CDLL(None)
    return bool(libc.mallopt(M_MMAP_MAX, 0)) and bool(libc.mallopt(M_TRIM_THRESHOLD, HASH_MEMORY))
