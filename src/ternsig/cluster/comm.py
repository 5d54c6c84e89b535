"""The few collectives a cluster tick needs, over MPI or over nothing (one rank).

Payloads are bytes (the checkpoint codec, ``host/statefile.pack``), never pickles: ranks exchange
data, not code. Every collective is counted (calls and bytes sent by this rank) for the scale
bench. Waits are bounded: a collective that has not completed within ``timeout`` seconds (a rank
died or hangs) raises :class:`RankTimeout`, and the run then stops the whole job.
"""
from __future__ import annotations

import os
import sys
import time
from typing import Any, Callable, Optional

from ..errors import HostError

#: environment variables an MPI launcher sets in every process it starts: (rank, size)
_LAUNCHER_ENV = (("PMI_RANK", "PMI_SIZE"), ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"),
                 ("PMIX_RANK", "PMIX_SIZE"))
DEFAULT_TIMEOUT = 120.0


def launcher_world(environ: Optional[dict[str, str]] = None) -> Optional[tuple[int, int]]:
    """(rank, size) when this process was started by ``mpiexec``/``mpirun``, else None. Reads the
    environment only: deciding this never imports mpi4py."""
    env = os.environ if environ is None else environ
    for rk, sz in _LAUNCHER_ENV:
        if env.get(sz, "").isdigit():
            rank = env.get(rk, "0")
            return (int(rank) if rank.isdigit() else 0), int(env[sz])
    return None


class SoloComm:
    """One rank: the collectives are identities (tests, and ``mpiexec -n 1``-free runs)."""

    rank = 0
    size = 1

    def __init__(self) -> None:
        self.calls = 0
        self.bytes = 0
        self.what = ""

    def allgather(self, data: bytes) -> list[bytes]:
        self.calls += 1
        self.bytes += len(data)
        return [data]

    def gather(self, data: bytes) -> Optional[list[bytes]]:
        self.calls += 1
        self.bytes += len(data)
        return [data]

    def bcast(self, data: bytes) -> bytes:
        self.calls += 1
        self.bytes += len(data)
        return data

    def abort(self, code: int) -> None:
        raise SystemExit(code)


class RankTimeout(HostError):
    """The other ranks did not answer within the bounded wait."""


class MpiComm:
    """MPI_COMM_WORLD through mpi4py (imported here, only when a run is under ``mpiexec``).

    Collectives are nonblocking ones completed by polling: a waiting rank yields its core (MPI
    libraries busy-wait, which on a machine with fewer cores than ranks starves the rank being
    waited for) and gives up after ``timeout`` seconds with :class:`RankTimeout`."""

    def __init__(self, timeout: float = DEFAULT_TIMEOUT, clock: Callable[[], float] = time.monotonic):
        from mpi4py import MPI   # the [mpi] extra; only under mpiexec

        self.MPI = MPI
        self.world = MPI.COMM_WORLD
        self.rank = self.world.Get_rank()
        self.size = self.world.Get_size()
        self.calls = 0
        self.bytes = 0
        self.timeout = timeout
        self.clock = clock
        self.what = ""                  # what the rank is doing (for the timeout's message)

    def _wait(self, req: Any) -> None:
        deadline = self.clock() + self.timeout
        spins = 0
        while not req.Test():
            spins += 1
            if spins > 50:
                time.sleep(0.0002 if spins < 5000 else 0.002)
            if spins % 100 == 0 and self.clock() > deadline:
                raise RankTimeout(f"no answer from the other ranks for {self.timeout:g} s while "
                                  f"{self.what or 'exchanging'} (a rank died or hangs)")

    def _sizes(self, n: int, root: Optional[int]) -> Any:
        import numpy as np

        sizes = np.zeros(self.size, np.int64)
        mine = np.array([n], np.int64)
        self._wait(self.world.Iallgather(mine, sizes) if root is None else self.world.Igather(mine, sizes, root=root))
        return sizes

    @staticmethod
    def _split(buf: Any, sizes: Any) -> list[bytes]:
        out, at = [], 0
        for n in sizes.tolist():
            out.append(buf[at:at + n].tobytes())
            at += n
        return out

    # ---- collectives over bytes ---------------------------------------------------------------------
    def allgather(self, data: bytes) -> list[bytes]:
        import numpy as np

        sizes = self._sizes(len(data), None)
        buf = np.empty(int(sizes.sum()), np.uint8)
        self._wait(self.world.Iallgatherv(np.frombuffer(data, np.uint8), [buf, sizes, self.MPI.BYTE]))
        self.calls += 2            # two MPI collectives: the sizes, then the bytes
        self.bytes += 8 + len(data)
        return self._split(buf, sizes)

    def gather(self, data: bytes) -> Optional[list[bytes]]:
        """Every rank's bytes at rank 0 (None elsewhere)."""
        import numpy as np

        sizes = self._sizes(len(data), 0)
        root = self.rank == 0
        buf = np.empty(int(sizes.sum()) if root else 0, np.uint8)
        self._wait(self.world.Igatherv(np.frombuffer(data, np.uint8), [buf, sizes, self.MPI.BYTE] if root else None,
                                       root=0))
        self.calls += 2
        self.bytes += 8 + len(data)
        return self._split(buf, sizes) if root else None

    def bcast(self, data: bytes) -> bytes:
        """Rank 0's bytes on every rank."""
        import numpy as np

        n = np.array([len(data)], np.int64)
        self._wait(self.world.Ibcast(n, root=0))
        buf = np.frombuffer(data, np.uint8).copy() if self.rank == 0 else np.empty(int(n[0]), np.uint8)
        self._wait(self.world.Ibcast(buf, root=0))
        self.calls += 2
        self.bytes += 8 + (len(data) if self.rank == 0 else 0)
        return buf.tobytes()

    def abort(self, code: int) -> None:
        """Stop every rank of the job now (mpiexec ends the others)."""
        sys.stderr.flush()
        self.world.Abort(code)
