"""A loopback TCP forwarder that can be switched off and on, to cut a client's link."""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading


class _Pipe(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        try:
            upstream = socket.create_connection(self.server.target, timeout=5)
        except OSError:
            return
        upstream.settimeout(None)
        self.server.open_sockets += [self.request, upstream]

        def pump(src: socket.socket, dst: socket.socket) -> None:
            try:
                while data := src.recv(65536):
                    dst.sendall(data)
            except OSError:
                pass
            finally:
                for s in (src, dst):
                    with contextlib.suppress(OSError):
                        s.shutdown(socket.SHUT_RDWR)

        other = threading.Thread(target=pump, args=(upstream, self.request), daemon=True)
        other.start()
        pump(self.request, upstream)
        other.join()


class TcpProxy:
    """Forward 127.0.0.1:``port`` to ``target`` while started."""

    def __init__(self, port: int, target: tuple[str, int]) -> None:
        self.port, self.target = port, target
        self.server: socketserver.ThreadingTCPServer | None = None

    def start(self) -> None:
        socketserver.ThreadingTCPServer.allow_reuse_address = True
        server = socketserver.ThreadingTCPServer(("127.0.0.1", self.port), _Pipe)
        server.daemon_threads = True
        server.target, server.open_sockets = self.target, []
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.server = server

    def stop(self) -> None:
        """Stop listening and cut every open connection."""
        if self.server is None:
            return
        self.server.shutdown()
        self.server.server_close()
        for s in self.server.open_sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
                s.close()
        self.server = None
