"""A webhook receiver a person can read: appends each POSTed body as one line to a
file. Used by the demo (scripts/quickstart.sh) and the install test
(scripts/test-install.sh) as the alert destination.

    python3 scripts/webhook-receiver.py PORT FILE
"""
import http.server
import sys

port, inbox = int(sys.argv[1]), sys.argv[2]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(inbox, "ab") as f:
            f.write(body.strip() + b"\n")
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


http.server.HTTPServer(("127.0.0.1", port), Handler).serve_forever()
