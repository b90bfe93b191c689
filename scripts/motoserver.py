"""Run a moto server on 127.0.0.1 for orgbaseline's tests and demo.

Usage: motoserver.py PORT [--exit-on-stdin-eof]

Serves moto's full WSGI application (the one `moto_server` runs) on
http://127.0.0.1:PORT, prints one line `READY http://127.0.0.1:PORT` on stdout
once the socket is listening, and shuts down cleanly on SIGTERM or SIGINT (or
when stdin reaches end of file, with --exit-on-stdin-eof; shared/local/motorig uses
this so that the server never outlives the Go process that started it).
Requests are logged on stderr.

MOTO_ACCOUNT_ID is removed from the environment: it would pin every request
to one account, and the emulated organization needs every account it creates.

Correction of the emulator
--------------------------
moto 5.2 accepts organizations:RegisterDelegatedAdministrator only for the
service principals in FakeDelegatedAdministrator.SUPPORTED_SERVICES
(moto/organizations/models.py): register_delegated_administrator() ends in
FakeDelegatedAdministrator.add_service_principal(), which raises
InvalidInputException "You specified an unrecognized service principal." unless
supported_service() finds the principal in that list, and
list_delegated_administrators(ServicePrincipal=...) checks the same list.
AWS documents delegated administrators for more services than moto lists
(https://docs.aws.amazon.com/organizations/latest/userguide/orgs_integrated-services-list.html),
among them the ones the baseline registers. This launcher adds them to the list
before the server starts:

    config.amazonaws.com        AWS Config (organization aggregator)
    securityhub.amazonaws.com   AWS Security Hub
    detective.amazonaws.com     Amazon Detective
    health.amazonaws.com        AWS Health organizational view
    cloudtrail.amazonaws.com    AWS CloudTrail

Without this, the emulator would reject calls that AWS accepts, and the
registrations could only be tested with fakes.

Second correction: operations moto does not implement
---------------------------------------------------------
For an operation it lacks, moto raises NotImplementedError in
BaseResponse.call_action (moto/core/responses.py), which the server turns into
a bare HTTP 500 page. A client cannot tell that from a failing service, and
retries it. For the JSON protocols (requests with an X-Amz-Target header, such
as AWS Config's organization config rule operations), this launcher answers
instead as an AWS endpoint answers an operation it does not offer: HTTP 400
with the error code UnknownOperationException. orgbaseline's steps report such
a part as "not available at this endpoint", so a run against the emulator shows
what the emulator lacks. Only operations missing from moto's response class
are answered so; a NotImplementedError raised inside an implemented operation
still fails as before.

Third correction: Config's service-linked role name
---------------------------------------------------
moto derives a service-linked role's name from the service principal and a
small table of spellings (SERVICE_NAME_CONVERSION in moto/iam/models.py), so
iam:CreateServiceLinkedRole(config.amazonaws.com) makes "AWSServiceRoleForconfig".
AWS names it AWSServiceRoleForConfig (AWS Config Developer Guide, "Using
service-linked roles for AWS Config"), the name the recorder step looks for.
This launcher adds config's spelling to the table.

Nothing else in moto is changed.
"""

import argparse
import errno
import json
import os
import signal
import socket
import sys
import threading

# Principals with a documented delegated administrator that moto 5.2 rejects.
DELEGATED_ADMIN_PRINCIPALS = [
    "config.amazonaws.com",
    "securityhub.amazonaws.com",
    "detective.amazonaws.com",
    "health.amazonaws.com",
    "cloudtrail.amazonaws.com",
]

# Exit codes. shared/local/motorig picks another port on EXIT_ADDR_IN_USE.
EXIT_NO_MOTO = 3
EXIT_MOTO_CHANGED = 4
EXIT_ADDR_IN_USE = 98


def fail(code, message):
    print(f"motoserver: {message}", file=sys.stderr, flush=True)
    sys.exit(code)


def port_number(text):
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number")
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port {port} is out of range 1-65535")
    return port


def extend_delegated_admin_principals():
    from moto.organizations.models import FakeDelegatedAdministrator

    supported = getattr(FakeDelegatedAdministrator, "SUPPORTED_SERVICES", None)
    if not isinstance(supported, list):
        fail(
            EXIT_MOTO_CHANGED,
            "moto.organizations.models.FakeDelegatedAdministrator.SUPPORTED_SERVICES "
            "is not a list in this moto version; re-check the delegated administrator "
            "correction in scripts/motoserver.py",
        )
    for principal in DELEGATED_ADMIN_PRINCIPALS:
        if principal not in supported:
            supported.append(principal)
    for principal in DELEGATED_ADMIN_PRINCIPALS:
        if not FakeDelegatedAdministrator.supported_service(principal):
            fail(
                EXIT_MOTO_CHANGED,
                f"moto still rejects {principal} after the correction; "
                "re-check FakeDelegatedAdministrator.supported_service",
            )


# Service-linked role names moto spells differently from AWS.
SERVICE_LINKED_ROLE_SPELLINGS = {"config": "Config"}


def spell_service_linked_roles():
    from moto.iam import models

    table = getattr(models, "SERVICE_NAME_CONVERSION", None)
    if not isinstance(table, dict):
        fail(
            EXIT_MOTO_CHANGED,
            "moto.iam.models.SERVICE_NAME_CONVERSION is not a dict in this moto "
            "version; re-check the service-linked role correction in scripts/motoserver.py",
        )
    table.update(SERVICE_LINKED_ROLE_SPELLINGS)


def answer_missing_json_operations():
    from moto.core.responses import BaseResponse
    from moto.core.utils import camelcase_to_underscores, method_names_from_class

    original = getattr(BaseResponse, "call_action", None)
    if original is None:
        fail(
            EXIT_MOTO_CHANGED,
            "moto.core.responses.BaseResponse.call_action is missing in this moto "
            "version; re-check the missing-operation correction in scripts/motoserver.py",
        )

    def call_action(self):
        try:
            return original(self)
        except NotImplementedError:
            target = (getattr(self, "headers", None) or {}).get("X-Amz-Target")
            action = self._get_action()
            if not target or not action:
                raise
            if camelcase_to_underscores(action) in method_names_from_class(self.__class__):
                raise  # an implemented operation that failed: not ours to hide
            body = json.dumps(
                {
                    "__type": "UnknownOperationException",
                    "message": f"{action} is not implemented by this emulator",
                }
            )
            headers = {
                "Content-Type": "application/x-amz-json-1.1",
                "X-Amzn-ErrorType": "UnknownOperationException",
            }
            return 400, headers, body

    BaseResponse.call_action = call_action


def main(argv):
    parser = argparse.ArgumentParser(
        prog="motoserver.py", description="Run a moto server on 127.0.0.1."
    )
    parser.add_argument("port", type=port_number, help="TCP port to listen on (1-65535)")
    parser.add_argument(
        "--exit-on-stdin-eof",
        action="store_true",
        help="shut down when stdin reaches end of file",
    )
    args = parser.parse_args(argv)

    os.environ.pop("MOTO_ACCOUNT_ID", None)
    # Services that call back into the server (the Step Functions
    # interpreter) find it through MOTO_PORT.
    os.environ["MOTO_PORT"] = str(args.port)

    try:
        from werkzeug.serving import make_server

        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
    except ImportError as e:
        fail(
            EXIT_NO_MOTO,
            f"cannot import moto's server ({e}) with {sys.executable}: "
            "install moto[server] (run `make deps`)",
        )

    extend_delegated_admin_principals()
    answer_missing_json_operations()
    spell_service_linked_roles()

    # Bind here rather than in werkzeug, which reports a failed bind with
    # sys.exit(1) and so hides "address in use" (the caller picks another
    # port then).
    host = "127.0.0.1"
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, args.port))
        sock.listen(128)
    except OSError as e:
        sock.close()
        code = EXIT_ADDR_IN_USE if e.errno == errno.EADDRINUSE else 1
        fail(code, f"cannot listen on {host}:{args.port}: {e}")

    app = DomainDispatcherApplication(create_backend_app)
    server = make_server(
        host,
        args.port,
        app,
        threaded=True,
        request_handler=MotoRequestHandler,
        fd=sock.fileno(),
    )
    sock.close()  # the server holds its own duplicate of the socket

    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    if args.exit_on_stdin_eof:

        def watch_stdin():
            # os.read, not sys.stdin: a daemon thread blocked inside a
            # buffered reader holds its lock at interpreter shutdown.
            try:
                while os.read(0, 4096):
                    pass
            except OSError:
                pass
            stop.set()

        threading.Thread(target=watch_stdin, name="stdin-watch", daemon=True).start()

    serving = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="moto-server"
    )
    serving.start()
    print(f"READY http://{host}:{args.port}", flush=True)

    # Wait with a timeout so that signal handlers run promptly.
    while not stop.wait(0.2):
        if not serving.is_alive():
            fail(1, "the server thread stopped unexpectedly")

    server.shutdown()
    serving.join()
    server.server_close()
    print("motoserver: stopped", file=sys.stderr, flush=True)
    sys.stdout.flush()
    # Exit without interpreter finalization: request threads (daemon
    # threads of the threaded server) may still wait on idle keep-alive
    # connections, and finalizing objects they hold can abort the process.
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1:])
