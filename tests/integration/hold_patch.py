"""A reverse proxy between scs-image-hook and Glance that holds back a
request whose body contains MARK (a PATCH, an upload) for SECONDS before
passing it on, for tests/integration/proxy-ops.sh and origin-proxy.sh: it
makes a race certain (the hook has decided, Glance has not yet applied;
meanwhile the test changes the image straight at Glance).

  hold_patch.py PORTFILE UPSTREAM MARK SECONDS

Writes the port it listens on to PORTFILE, and touches PORTFILE.held when
it holds a request (a test waits for it instead of guessing how long a
client takes to start). Everything else passes at once.
Bodies are read whole (chunked or Content-Length) and sent on with a
Content-Length: it is for test-sized bodies.
"""
import http.client
import http.server
import os
import sys
import time
import urllib.parse

portfile, upstream, mark, seconds = sys.argv[1], sys.argv[2], sys.argv[3].encode(), float(sys.argv[4])
up = urllib.parse.urlsplit(upstream)
HOP = {"connection", "keep-alive", "transfer-encoding", "te", "upgrade", "proxy-connection", "content-length", "expect"}


class Relay(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if not size:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else None

    def relay(self):
        body = self.body()
        if body and mark in body:
            open(portfile + ".held", "w").close()
            time.sleep(seconds)
        conn = http.client.HTTPConnection(up.hostname, up.port, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        conn.request(self.command, self.path, body=body, headers=headers)
        answer = conn.getresponse()
        data = answer.read()
        self.send_response(answer.status, answer.reason)
        for k, v in answer.getheaders():
            if k.lower() not in HOP:
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        conn.close()

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = relay

    def log_message(self, *a):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Relay)
with open(portfile + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(portfile + ".tmp", portfile)
server.serve_forever()
