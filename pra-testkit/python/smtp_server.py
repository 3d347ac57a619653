"""A real SMTP server for the pra tests, started by pra-testkit's smtp.rs (aiosmtpd):
listens on 127.0.0.1:PORT, writes each message it receives to DIR/NNNN.eml (with
the envelope and the authenticated login as X-Test-* lines on top), prints "ready",
runs until killed.

With SMTP_TEST_USER/SMTP_TEST_PASSWORD set, it advertises AUTH (without TLS: this
is a loopback test server) and refuses mail from unauthenticated sessions."""

import os
import sys
import logging
import time

try:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult
except ImportError as e:
    # Loud and specific: the test that needed this server fails with this line.
    sys.stderr.write("smtp_server.py: aiosmtpd is missing (%s); install it with "
                     "`python3 -m pip install aiosmtpd`, as scripts/test.sh does\n" % e)
    sys.exit(3)

port = int(sys.argv[1])
out = sys.argv[2]
user = os.environ.get("SMTP_TEST_USER")
password = os.environ.get("SMTP_TEST_PASSWORD")
# aiosmtpd logs warnings about its own deprecated attributes: not our concern here.
logging.getLogger("mail.log").setLevel(logging.ERROR)


class Handler:
    def __init__(self):
        self.n = 0

    async def handle_MAIL(self, server, session, envelope, address, options):
        if user and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.n += 1
        login = session.auth_data.login.decode() if session.auth_data else ""
        head = "X-Test-Mail-From: %s\nX-Test-Rcpt-To: %s\nX-Test-Login: %s\n" % (
            envelope.mail_from, ",".join(envelope.rcpt_tos), login)
        path = os.path.join(out, "%04d.eml" % self.n)
        with open(path + ".tmp", "w") as f:
            f.write(head + envelope.content.decode("utf-8", "replace"))
        os.rename(path + ".tmp", path)
        return "250 Message accepted"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login.decode() == user and auth_data.password.decode() == password
    return AuthResult(success=ok, handled=False, auth_data=auth_data)


kwargs = {}
if user:
    kwargs = dict(authenticator=authenticator, auth_require_tls=False)
controller = Controller(Handler(), hostname="127.0.0.1", port=port, **kwargs)
controller.start()
print("ready", flush=True)
try:
    while True:
        time.sleep(3600)
finally:
    controller.stop()
