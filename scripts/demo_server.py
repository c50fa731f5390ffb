"""Serve web/ (the widget's demo page and build) on loopback, under a strict CSP.

    python scripts/demo_server.py --port 8080 [--connect-src "http://127.0.0.1:5005 ws://127.0.0.1:5005"]

Every response carries ``Content-Security-Policy: default-src 'self'; connect-src 'self'
<the chat server>``, as a careful site would send it, so the demo shows (and the browser
tests check) that the widget needs no inline script or style. By default the socket may
reach any port on loopback, where `make serve` and the tests run the bot. Python's
http.server with one header added: nothing else serves files with a header here.
"""

from __future__ import annotations

import argparse
import functools
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

WEB = Path(__file__).resolve().parent.parent / "web"
LOOPBACK = "http://127.0.0.1:* ws://127.0.0.1:* http://localhost:* ws://localhost:*"


def policy(connect_src: str) -> str:
    return (
        f"default-src 'self'; connect-src 'self' {connect_src}; base-uri 'none'; form-action 'self'"
    )


class Handler(SimpleHTTPRequestHandler):
    csp = policy(LOOPBACK)

    def end_headers(self) -> None:
        self.send_header("Content-Security-Policy", self.csp)
        self.send_header("Cache-Control", "no-store")  # a rebuilt widget is used at once
        super().end_headers()

    def log_message(self, format: str, *args) -> None:
        pass  # quiet: `make serve` prints Rasa's log


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--connect-src", default=LOOPBACK, help="where the socket may connect")
    args = parser.parse_args(argv)
    handler = type("CspHandler", (Handler,), {"csp": policy(args.connect_src)})
    serve = functools.partial(handler, directory=str(WEB))
    with ThreadingHTTPServer((args.host, args.port), serve) as server:
        server.serve_forever()


if __name__ == "__main__":
    main()
