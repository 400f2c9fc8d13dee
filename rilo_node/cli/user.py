"""`rilo-node user add|list|grant|disable|passwd`: the people of a node's web interface (docs/web.md,
docs/operator-guide.md#the-web-interface), through the node's UserService like every client command."""

from __future__ import annotations

from rilo_node.cli.argtypes import lower
from rilo_node.cli.connect import add_connection_args, call, client_of
from rilo_node.cli.output import EXIT_BAD_INPUT, EXIT_OK, print_json
from rilo_node.core.errors import CliError
from rilo_node.pb.rilo.v1 import user_pb2, user_pb2_grpc

ROLES = {"viewer": user_pb2.WEB_ROLE_VIEWER, "analyst": user_pb2.WEB_ROLE_ANALYST, "admin": user_pb2.WEB_ROLE_ADMIN}
ROLE_NAMES = {v: k for k, v in ROLES.items()}


def _stub(client) -> user_pb2_grpc.UserServiceStub:
    return user_pb2_grpc.UserServiceStub(client.channel)


def user_json(u: user_pb2.WebUser) -> dict:
    return {"name": u.name, "role": ROLE_NAMES.get(u.role, ""), "operations": list(u.operations),
            "all_operations": u.all_operations, "disabled": u.disabled, "totp": u.totp,
            "created_at": u.created_at, "locked_until": u.locked_until or None}


def _password(path: str | None) -> str:
    """The password in a file (its first line), or "" for one the node makes."""
    if not path:
        return ""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.readline().rstrip("\r\n")
    except OSError as exc:
        raise CliError(f"--password-file {path}: {exc.strerror}", EXIT_BAD_INPUT) from None
    if not text:
        raise CliError(f"--password-file {path}: the first line is empty", EXIT_BAD_INPUT)
    return text


def _operations(text: str | None) -> list[str]:
    return [op.strip() for op in (text or "").split(",") if op.strip()]


def cmd_user_add(args) -> int:
    req = user_pb2.AddUserRequest(name=args.name, role=ROLES[args.role], operations=_operations(args.operations),
                                  all_operations=args.all_operations, password=_password(args.password_file),
                                  totp=args.totp)
    with client_of(args) as c:
        resp = call(_stub(c).AddUser, req, args)
    if args.json:
        print_json({**user_json(resp.user), "password": resp.generated_password or None,
                    "totp_secret": resp.totp_secret or None, "totp_uri": resp.totp_uri or None})
        return EXIT_OK
    print(f"user {resp.user.name} added ({args.role})")
    if resp.generated_password:
        print(f"  one-time password: {resp.generated_password}   (change it: rilo-node user passwd {resp.user.name})")
    if resp.totp_secret:
        print(f"  TOTP secret: {resp.totp_secret}")
        print(f"  authenticator URI: {resp.totp_uri}")
    return EXIT_OK


def cmd_user_list(args) -> int:
    with client_of(args) as c:
        resp = call(_stub(c).ListUsers, user_pb2.ListUsersRequest(), args)
    if args.json:
        for u in resp.users:
            print_json(user_json(u))
        return EXIT_OK
    for u in resp.users:
        ops = "all operations" if u.all_operations else (", ".join(u.operations) or "no operations")
        state = "disabled" if u.disabled else (f"locked until {u.locked_until}" if u.locked_until else "active")
        print(f"{u.name:<20} {ROLE_NAMES.get(u.role, ''):<8} {'TOTP' if u.totp else '    '}  {state:<10} {ops}")
    return EXIT_OK


def cmd_user_grant(args) -> int:
    req = user_pb2.GrantUserRequest(name=args.name, operations=_operations(args.operations),
                                    all_operations=args.all_operations)
    with client_of(args) as c:
        resp = call(_stub(c).GrantUser, req, args)
    if args.json:
        print_json(user_json(resp.user))
    else:
        ops = "all operations" if resp.user.all_operations else ", ".join(resp.user.operations)
        print(f"user {resp.user.name} may see: {ops}")
    return EXIT_OK


def cmd_user_disable(args) -> int:
    with client_of(args) as c:
        resp = call(_stub(c).DisableUser, user_pb2.DisableUserRequest(name=args.name), args)
    if args.json:
        print_json(user_json(resp.user))
    else:
        print(f"user {resp.user.name} disabled; their sessions ended")
    return EXIT_OK


def cmd_user_passwd(args) -> int:
    req = user_pb2.SetPasswordRequest(name=args.name, password=_password(args.password_file))
    with client_of(args) as c:
        resp = call(_stub(c).SetPassword, req, args)
    if args.json:
        print_json({**user_json(resp.user), "password": resp.generated_password or None})
    else:
        print(f"password of {resp.user.name} changed; their sessions ended")
        if resp.generated_password:
            print(f"  one-time password: {resp.generated_password}")
    return EXIT_OK


def add_parsers(sub) -> None:
    """user add|list|grant|disable|passwd."""
    user = sub.add_parser("user", help="the users of the node's web interface").add_subparsers(
        dest="action", required=True, metavar="ACTION")

    p = user.add_parser("add", help="a new user (prints a one-time password when no --password-file is given)")
    p.add_argument("name", help="the user name (lower case)")
    p.add_argument("--role", required=True, type=lower, choices=tuple(ROLES), help="viewer reads; analyst also posts, "
                   "files and answers requests, exports; admin also manages users, sees peers and security events")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--operations", metavar="OP,…", help="the operations the user may see")
    group.add_argument("--all-operations", action="store_true", help="every operation this node is a member of")
    p.add_argument("--password-file", metavar="F", help="the password, on the file's first line")
    p.add_argument("--totp", action="store_true", help="a TOTP second factor (an admin always gets one while "
                   "web.admin_totp is on)")
    p.add_argument("--json", action="store_true")
    add_connection_args(p)
    p.set_defaults(func=cmd_user_add)

    p = user.add_parser("list", help="the users, their roles, grants and state")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    add_connection_args(p)
    p.set_defaults(func=cmd_user_list)

    p = user.add_parser("grant", help="let a user see more operations (granting again changes nothing)")
    p.add_argument("name")
    group = p.add_mutually_exclusive_group()  # one of them: the node refuses neither (exit 2, naming operations)
    group.add_argument("--operations", metavar="OP,…")
    group.add_argument("--all-operations", action="store_true")
    p.add_argument("--json", action="store_true")
    add_connection_args(p)
    p.set_defaults(func=cmd_user_grant)

    p = user.add_parser("disable", help="a user may no longer sign in; their sessions end")
    p.add_argument("name")
    p.add_argument("--json", action="store_true")
    add_connection_args(p)
    p.set_defaults(func=cmd_user_disable)

    p = user.add_parser("passwd", help="a new password (prints a one-time password when no --password-file)")
    p.add_argument("name")
    p.add_argument("--password-file", metavar="F", help="the password, on the file's first line")
    p.add_argument("--json", action="store_true")
    add_connection_args(p)
    p.set_defaults(func=cmd_user_passwd)
