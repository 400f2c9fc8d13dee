"""UserService: the web interface's users, managed by the node's own client certificates only (like
NodeAdminService and KeyAdminService). The rules are rilo_node/node/users.py."""

from __future__ import annotations

from datetime import UTC

from rilo_node.api.errors import grpc_errors
from rilo_node.api.services import caller_identity
from rilo_node.core.errors import PermissionDeniedError, ValidationError
from rilo_node.node.clock import Clock, rfc3339
from rilo_node.pb.rilo.v1 import user_pb2, user_pb2_grpc
from rilo_node.store.db import Store

ROLE_TO_PB = {"viewer": user_pb2.WEB_ROLE_VIEWER, "analyst": user_pb2.WEB_ROLE_ANALYST,
              "admin": user_pb2.WEB_ROLE_ADMIN}
ROLE_FROM_PB = {v: k for k, v in ROLE_TO_PB.items()}


def user_to_pb(user: dict, now: float) -> user_pb2.WebUser:
    from datetime import datetime

    locked = ""
    if user["locked_until"] > now:
        locked = rfc3339(datetime.fromtimestamp(user["locked_until"], UTC))
    return user_pb2.WebUser(name=user["name"], role=ROLE_TO_PB[user["role"]], operations=user["operations"],
                            all_operations=bool(user["all_operations"]), disabled=bool(user["disabled"]),
                            totp=bool(user["totp_secret"]), created_at=user["created_at"], locked_until=locked)


class UserService(user_pb2_grpc.UserServiceServicer):
    def __init__(self, store: Store, clock: Clock, *, node_id: str, admin_totp: bool = True, insecure: bool = False):
        self.store = store
        self.clock = clock
        self.node_id = node_id
        self.admin_totp = admin_totp
        self.insecure = insecure
        self._users = None

    @property
    def users(self):
        if self._users is None:  # argon2 and pyotp are loaded by the first call, not by every node's start
            from rilo_node.node.users import Users

            self._users = Users(self.store, self.clock, admin_totp=self.admin_totp, node_id=self.node_id)
        return self._users

    def _client(self, context) -> None:
        ident = caller_identity(context, self.insecure)
        if ident.kind == "insecure" or (ident.kind == "client" and ident.node_id == self.node_id):
            return
        raise PermissionDeniedError(f"{ident} may not manage the users of node {self.node_id!r}")

    def _pb(self, user: dict) -> user_pb2.WebUser:
        return user_to_pb(user, self.clock.now().timestamp())

    @grpc_errors
    def AddUser(self, request, context):
        self._client(context)
        if request.role not in ROLE_FROM_PB:
            raise ValidationError("role", "must be one of viewer, analyst, admin")
        user, generated, secret = self.users.add(
            request.name, ROLE_FROM_PB[request.role], password=request.password, operations=list(request.operations),
            all_operations=request.all_operations, totp=request.totp)
        return user_pb2.AddUserResponse(user=self._pb(user), generated_password=generated, totp_secret=secret,
                                        totp_uri=self.users.totp_uri(user["name"], secret) if secret else "")

    @grpc_errors
    def ListUsers(self, request, context):
        self._client(context)
        return user_pb2.ListUsersResponse(users=[self._pb(u) for u in self.users.list()])

    @grpc_errors
    def GrantUser(self, request, context):
        self._client(context)
        user = self.users.grant(request.name, list(request.operations), request.all_operations)
        return user_pb2.GrantUserResponse(user=self._pb(user))

    @grpc_errors
    def DisableUser(self, request, context):
        self._client(context)
        return user_pb2.DisableUserResponse(user=self._pb(self.users.disable(request.name)))

    @grpc_errors
    def SetPassword(self, request, context):
        self._client(context)
        user, generated = self.users.set_password(request.name, request.password)
        return user_pb2.SetPasswordResponse(user=self._pb(user), generated_password=generated)
