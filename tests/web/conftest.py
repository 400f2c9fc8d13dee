"""The web interface's fixtures: a real node (real TLS, its own SQLite file) with users, and the app over
Starlette's TestClient or served by uvicorn over HTTPS."""

from __future__ import annotations

import re
import warnings

import pyotp
import pytest

from rilo_node.node.clock import FakeClock

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

PASSWORDS = {"viewer": "viewer password 1", "analyst": "analyst password 2", "admin": "admin password 3"}


class Web:
    """A node `de` with an operation `op-web` (members de, fr), the users viewer, analyst (all operations)
    and admin (TOTP), and its web app."""

    def __init__(self, running, clock: FakeClock):
        from rilo_node.web.app import Services, create_app

        self.running = running
        self.node = running.node
        self.clock = clock
        self.svc = Services.of_node(self.node)
        self.users = self.svc.users
        self.op = self.node.operations.create(name="Web test", members=["de", "fr"], operation_id="op-web",
                                              purpose="testing the room").operation.operation_id
        _, _, self.admin_secret = self.users.add("admin", "admin", password=PASSWORDS["admin"], all_operations=True)
        self.users.add("analyst", "analyst", password=PASSWORDS["analyst"], all_operations=True)
        self.users.add("viewer", "viewer", password=PASSWORDS["viewer"])
        self.app = create_app(self.svc)

    def client(self) -> TestClient:
        return TestClient(self.app, base_url="https://testserver")

    def code(self, step_offset: int = 0) -> str:
        totp = pyotp.TOTP(self.admin_secret)
        return totp.generate_otp(int(self.clock.now().timestamp() // totp.interval) + step_offset)

    def login(self, client: TestClient, name: str, password: str | None = None, code: str = "",
              next_: str = "/search"):
        page = client.get("/login")
        token = csrf_of(page.text)
        if name == "admin" and not code:
            code = self.code()
        return client.post("/login", data={"csrf": token, "name": name, "password": password or PASSWORDS[name],
                                           "code": code, "next": next_}, follow_redirects=False)

    def signed_in(self, name: str) -> TestClient:
        c = self.client()
        resp = self.login(c, name)
        assert resp.status_code == 303, resp.text
        return c

    def messages(self) -> list:
        return [m for _seq, m in self.node.operations.messages(self.op)]

    def audit(self) -> list[dict]:
        return self.node.store.audit_entries(0, 10_000)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


@pytest.fixture
def web(start_node):
    clock = FakeClock()
    return Web(start_node("de", clock=clock), clock)


@pytest.fixture
def make_cluster(tmp_path, directory, network_ca, topology_path):
    """In-process networks (tests/cluster/harness.py): real gRPC over mutual TLS, a SQLite file each."""
    from tests.cluster.harness import Cluster

    made: list[Cluster] = []

    def make(ids: list[str], **kwargs) -> Cluster:
        cluster = Cluster(tmp_path / f"net{len(made)}", directory, ids, network_ca, topology_path, **kwargs)
        made.append(cluster)
        return cluster

    yield make
    for c in made:
        c.close()
