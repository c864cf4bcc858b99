"""A small asyncio TCP fault proxy for tests: 127.0.0.1:free port in front of a target, run on a
background thread. The mode is read when a client connects, so it can change between
connections:

- ``pass``: relay both ways;
- ``latency``: relay, each chunk ``latency_s`` late;
- ``cut``: relay the first ``cut_after`` bytes the client sends, then drop both sides (a reset
  when ``reset`` is set, else a plain close) — "disconnect mid-DATA";
- ``swallow``: relay everything to the server, but once the client has sent the end of DATA
  (``\\r\\n.\\r\\n``) drop the server's next reply and close the client side — "reply lost
  after '.'" (the server DID take the message);
- ``hang``: accept and never answer, never connect to the target.

    with FaultProxy(("127.0.0.1", port)) as proxy:
        proxy.mode = "cut"; proxy.cut_after = 4096
        ... connect to proxy.port ...
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading

from tests.background import Background

MODES = ("pass", "latency", "cut", "swallow", "hang")
END_OF_DATA = b"\r\n.\r\n"
CHUNK = 65536


class FaultProxy(Background):
    """A loopback TCP proxy with scriptable faults (see the module docstring)."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.mode = "pass"
        self.latency_s = 0.05
        self.cut_after = 0
        self.reset = True
        self.connections = 0  # clients accepted so far
        self.host = "127.0.0.1"
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[object]] = set()

    def start(self) -> None:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=5)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    async def _start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # A small receive window keeps a fast client from parking a whole body in our kernel
        # buffer before a cut: the client then sees the cut while it is still sending.
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, CHUNK)
        listener.bind((self.host, 0))
        self.port = listener.getsockname()[1]
        self._server = await asyncio.start_server(self._accept, sock=listener)

    async def _stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.connections += 1
        mode = self.mode
        try:
            if mode == "hang":
                while await reader.read(CHUNK):
                    pass
                return
            up_reader, up_writer = await asyncio.open_connection(*self.target)
            await _Session(self, mode, (reader, writer), (up_reader, up_writer)).run()
        except (OSError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:
            pass  # the proxy is stopping (ending normally keeps 3.11's stream callback quiet)
        finally:
            _close(writer, reset=False)
            self._tasks.discard(task)


class _Session:
    """One client connection and its upstream connection."""

    def __init__(
        self,
        proxy: FaultProxy,
        mode: str,
        client: tuple[asyncio.StreamReader, asyncio.StreamWriter],
        server: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    ) -> None:
        self.mode = mode
        self.latency_s = proxy.latency_s if mode == "latency" else 0.0
        self.cut_after = proxy.cut_after
        self.reset = proxy.reset
        self.client = client
        self.server = server
        self.dot_seen = False
        self.done = asyncio.Event()

    async def run(self) -> None:
        pumps = [
            asyncio.create_task(self._upstream()),
            asyncio.create_task(self._downstream()),
        ]
        try:
            await self.done.wait()
        finally:
            for pump in pumps:
                pump.cancel()
            await asyncio.gather(*pumps, return_exceptions=True)
            _close(self.server[1], reset=False)

    def _finish(self, reset: bool = False) -> None:
        _close(self.client[1], reset=reset)
        _close(self.server[1], reset=False)
        self.done.set()

    async def _upstream(self) -> None:
        """Client → server, counting bytes and watching for the end of DATA."""
        sent, tail = 0, b""
        try:
            while chunk := await self.client[0].read(CHUNK):
                if self.mode == "cut" and sent + len(chunk) >= self.cut_after:
                    await self._relay(self.server[1], chunk[: self.cut_after - sent])
                    self._finish(reset=self.reset)
                    return
                sent += len(chunk)
                if self.mode == "swallow" and END_OF_DATA in tail + chunk:
                    self.dot_seen = True
                tail = (tail + chunk)[-len(END_OF_DATA) :]
                await self._relay(self.server[1], chunk)
        except OSError:
            pass
        self._finish()

    async def _downstream(self) -> None:
        """Server → client; in ``swallow`` mode the reply to the end of DATA never arrives."""
        try:
            while chunk := await self.server[0].read(CHUNK):
                if self.dot_seen:
                    self._finish()
                    return
                await self._relay(self.client[1], chunk)
        except OSError:
            pass
        self._finish()

    async def _relay(self, writer: asyncio.StreamWriter, chunk: bytes) -> None:
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        if chunk:
            writer.write(chunk)
            await writer.drain()


def _close(writer: asyncio.StreamWriter, reset: bool) -> None:
    """Close ``writer``'s connection; with ``reset``, abortively (the peer gets a RST)."""
    if writer.transport.is_closing():
        return
    if reset:
        sock = writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()
    else:
        writer.close()
