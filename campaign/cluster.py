"""Renders on a Dask distributed cluster, behind the same ``concurrent.futures.Executor``
interface as the local pool (the client's ``get_executor()``). Dask is the optional extra
``campaign[dask]``; see docs/distributed.md for starting a scheduler and workers."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import ExitStack, contextmanager
from typing import Any
from urllib.parse import urlsplit

from campaign.errors import ConfigError, MissingDependency, UsageError

LOCAL = "local-dask"  # a two-process cluster on this machine, to try the distributed path
SCHEMES = ("tcp", "tls")
CONNECT_TIMEOUT = "30s"


@contextmanager
def dask_executor(scheduler: str) -> Iterator[tuple[Executor, int]]:
    """An executor whose tasks run on the cluster ``scheduler`` names (``tcp://HOST:PORT``, or
    ``local-dask`` to start one here), and how many tasks its workers run at once."""
    distributed = _distributed()
    with ExitStack() as stack:
        if scheduler == LOCAL:
            cluster = distributed.LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            )
            stack.enter_context(cluster)
            address = cluster.scheduler_address
        else:
            address = checked_address(scheduler)
        client = stack.enter_context(_connect(distributed, address))
        executor = client.get_executor(pure=False)
        try:
            yield executor, max(1, sum(client.nthreads().values()))
        except BaseException:
            executor.shutdown(wait=False)  # cancels what is still queued on the cluster
            raise
        executor.shutdown(wait=True)


def checked_address(scheduler: str) -> str:
    """``scheduler`` when it is a scheduler address (``tcp://HOST:PORT``), else a UsageError."""
    parts = urlsplit(scheduler)
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme not in SCHEMES or not parts.hostname or port is None:
        raise UsageError(
            f"--scheduler expects tcp://HOST:PORT (a Dask scheduler) or {LOCAL}, got '{scheduler}'"
        )
    return scheduler


def _distributed() -> Any:
    """The ``distributed`` package, or MissingDependency naming the extra that installs it."""
    try:
        import distributed
    except ImportError as err:
        raise MissingDependency("Dask distributed (for --scheduler)", extra="dask") from err
    return distributed


def _connect(distributed: Any, address: str) -> Any:
    """A client of the scheduler at ``address``; a ConfigError when it cannot be reached."""
    try:
        return distributed.Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except OSError as err:
        raise ConfigError(f"cannot reach the Dask scheduler at {address}: {err}") from err
