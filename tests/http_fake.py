"""A real HTTP server on loopback for tests: weather providers, Claude and AWS are faked at the HTTP boundary.

    with FakeHTTPServer() as server:
        server.route("GET", "/data/2.5/forecast", lambda req: (200, {"list": []}))
        settings.OPENWEATHERMAP_BASE_URL = server.url

A handler receives a `FakeRequest` (method, path, query dict, headers, body bytes, json()) and returns
`(status, body)` or `(status, body, headers)`; a dict or list body is sent as JSON, bytes/str as is.
`server.route(..., delay=0.2)` answers late; every request is kept in `server.requests`.
"""

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class FakeRequest:
    method: str
    path: str
    query: dict
    headers: dict
    body: bytes
    # The client's (address, port): requests sharing one are on one kept-alive connection.
    peer: tuple = ()

    def json(self):
        return json.loads(self.body or b"null")


class FakeHTTPServer:
    def __init__(self, host: str = "127.0.0.1"):
        self.host = host
        self.routes: dict[tuple[str, str], tuple] = {}
        self.requests: list[FakeRequest] = []
        self._lock = threading.Lock()
        self._server = None
        self._thread = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def route(self, method: str, path: str, handler, *, delay: float = 0.0) -> None:
        self.routes[(method.upper(), path)] = (handler, delay)

    def count(self, method: str | None = None, path: str | None = None) -> int:
        return sum(1 for r in self.requests
                   if (method is None or r.method == method) and (path is None or r.path == path))

    def __enter__(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # The headers and the body go out in two writes: with Nagle's algorithm on a kept-alive connection
            # the body waits for the client's delayed ACK, about 40 ms a response on Linux. Real providers'
            # servers send without that wait (TCP_NODELAY), as a fake standing in for them must.
            disable_nagle_algorithm = True

            def log_message(self, *args):
                pass

            def _handle(self):
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = FakeRequest(
                    method=self.command, path=parts.path,
                    query={k: v[0] if len(v) == 1 else v for k, v in parse_qs(parts.query).items()},
                    headers={k.lower(): v for k, v in self.headers.items()}, body=body,
                    peer=tuple(self.client_address[:2]),
                )
                with fake._lock:
                    fake.requests.append(request)
                route = fake.routes.get((self.command, parts.path))
                if route is None:
                    result = (404, {"error": f"no fake route for {self.command} {parts.path}"})
                    delay = 0.0
                else:
                    handler, delay = route
                    result = handler(request)
                if delay:
                    time.sleep(delay)
                status, payload, *rest = result
                headers = rest[0] if rest else {}
                if isinstance(payload, (dict, list)):
                    data = json.dumps(payload).encode()
                    headers.setdefault("Content-Type", "application/json")
                elif isinstance(payload, str):
                    data = payload.encode()
                else:
                    data = payload or b""
                try:
                    self.send_response(status)
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test): nothing to answer

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

        self._server = ThreadingHTTPServer((self.host, 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()
