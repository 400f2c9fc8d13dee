"""The web interface served by real nodes (mutual-TLS gRPC between them, HTTPS with each node's
certificate to the browser side): live messages across nodes by server-sent events with Last-Event-ID
resume, a message from the room reaching the owner, the UserService, the audit's user."""

from __future__ import annotations

import contextlib
import json
import re
import ssl

import grpc
import httpx
import pytest

from rilo_node.pb.rilo.v1 import node_pb2, node_pb2_grpc, user_pb2, user_pb2_grpc
from rilo_node.web.server import WebSite

IDS = ["rilo-we", "de", "fr"]
PASSWORD = "a long enough password"


@pytest.fixture
def net(make_cluster):
    c = make_cluster(IDS)
    sites = {}
    for node_id in ("de", "fr"):
        node = c.nodes[node_id]
        sites[node_id] = WebSite(node, "127.0.0.1:0").start()
        sites[node_id].services.users.add("analyst", "analyst", password=PASSWORD, all_operations=True)
    c.sites = sites
    c.nodes["de"].operations.create(name="Live", members=["fr"], operation_id="op-live")
    c.wait_for(lambda: None if c.nodes["fr"].operations.get("op-live") else "fr lacks op-live", what="fr holds it")
    yield c
    for site in sites.values():
        site.stop()


def browser(c, node_id: str) -> httpx.Client:
    """An HTTPS client that trusts the network CA (as a browser would once told to), signed in as analyst."""
    site = c.sites[node_id]
    client = httpx.Client(base_url=site.url, verify=ssl.create_default_context(cafile=str(c.folders[node_id].ca)),
                          timeout=20.0)
    page = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    resp = client.post("/login", data={"csrf": token, "name": "analyst", "password": PASSWORD, "next": "/search"})
    assert resp.status_code == 303, resp.text
    return client


def read_events(stream, n: int) -> list[dict]:
    """The next `n` message events of an open SSE response: [{"id", "data"}]."""
    out, event = [], {}
    for line in stream.iter_lines():
        if line.startswith("id:"):
            event["id"] = line[3:].strip()
        elif line.startswith("data:"):
            event["data"] = json.loads(line[5:].strip())
        elif line == "" and "data" in event:
            out.append(event)
            event = {}
            if len(out) == n:
                return out
    raise AssertionError(f"the stream ended after {len(out)} events")


def test_message_posted_at_another_node_arrives_live_and_resumes_without_gap_or_repeat(net):
    c = net
    with contextlib.closing(browser(c, "fr")) as fr:
        url = "/operations/op-live/events"
        with fr.stream("GET", url, params={"after": "0"}) as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            assert stream.headers["x-content-type-options"] == "nosniff"
            c.nodes["de"].operations.post("op-live", "first from the owner")
            (first,) = read_events(stream, 1)
        assert first["data"]["text"] == "first from the owner" and first["data"]["origin"] == "de"
        # Away: two more messages are stored while no stream is open.
        c.nodes["de"].operations.post("op-live", "second")
        c.nodes["de"].operations.post("op-live", "third")
        c.wait_for(lambda: None if len(c.nodes["fr"].operations.messages("op-live")) == 3 else "not yet",
                   what="fr holds all three")
        with fr.stream("GET", url, headers={"Last-Event-ID": first["id"]}) as stream:
            got = read_events(stream, 2)
        assert [e["data"]["text"] for e in got] == ["second", "third"]
        assert int(got[0]["id"]) > int(first["id"])
        with fr.stream("GET", url, headers={"Last-Event-ID": "not-a-number"}) as stream:
            assert stream.status_code == 400


def test_a_message_sent_from_the_room_reaches_the_owner(net):
    c = net
    with contextlib.closing(browser(c, "fr")) as fr:
        room = fr.get("/operations/op-live")
        assert room.status_code == 200 and 'role="log"' in room.text
        token = re.search(r'name="csrf" value="([^"]+)"', room.text).group(1)
        resp = fr.post("/operations/op-live", data={"csrf": token, "template": "feedback", "text": "from fr's room"})
        assert resp.status_code == 303
    c.wait_for(lambda: None if any(m.text == "Feedback: from fr's room" and m.origin == "fr"
                                   for _s, m in c.nodes["de"].operations.messages("op-live")) else "not yet",
               what="the owner holds the message")
    with c.client("fr") as client:
        entries = node_pb2_grpc.NodeAdminServiceStub(client.channel).ListAudit(
            node_pb2.ListAuditRequest(limit=1000)).entries
    posts = [e for e in entries if e.action == "post"]
    assert posts and posts[-1].user == "analyst"
    assert all(not e.user for e in entries if e.action != "post" and e.actor != "web:fr")


def test_user_service_manages_users_for_the_nodes_own_clients_only(net):
    c = net
    with c.client("de") as client:
        stub = user_pb2_grpc.UserServiceStub(client.channel)
        added = stub.AddUser(user_pb2.AddUserRequest(name="officer", role=user_pb2.WEB_ROLE_VIEWER))
        assert len(added.generated_password) >= 12 and not added.totp_secret
        admin = stub.AddUser(user_pb2.AddUserRequest(name="boss", role=user_pb2.WEB_ROLE_ADMIN,
                                                     password="boss password 12"))
        assert admin.totp_secret and admin.totp_uri.startswith("otpauth://totp/")
        stub.GrantUser(user_pb2.GrantUserRequest(name="officer", operations=["op-live"]))
        again = stub.GrantUser(user_pb2.GrantUserRequest(name="officer", operations=["op-live"]))
        assert list(again.user.operations) == ["op-live"]
        with pytest.raises(grpc.RpcError) as err:
            stub.AddUser(user_pb2.AddUserRequest(name="short", role=user_pb2.WEB_ROLE_VIEWER, password="short"))
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "password" in err.value.details()
        with pytest.raises(grpc.RpcError) as err:
            stub.AddUser(user_pb2.AddUserRequest(name="officer", role=user_pb2.WEB_ROLE_VIEWER))
        assert err.value.code() == grpc.StatusCode.ALREADY_EXISTS
        with pytest.raises(grpc.RpcError) as err:
            stub.AddUser(user_pb2.AddUserRequest(name="norole"))
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "role" in err.value.details()
        names = [u.name for u in stub.ListUsers(user_pb2.ListUsersRequest()).users]
        assert "short" not in names and "norole" not in names
        assert stub.DisableUser(user_pb2.DisableUserRequest(name="officer")).user.disabled
        changed = stub.SetPassword(user_pb2.SetPasswordRequest(name="boss"))
        assert changed.generated_password
    # fr's national system may not manage de's users: the client certificate names fr.
    f = c.folders["fr"]
    from rilo_node.api.client import NodeClient, Target
    from rilo_node.node.pki import node_dns

    with NodeClient(Target(f"127.0.0.1:{c.ports['de']}", f.ca, f.client_cert, f.client_key, node_dns("de"))) as other:
        with pytest.raises(grpc.RpcError) as err:
            user_pb2_grpc.UserServiceStub(other.channel).ListUsers(user_pb2.ListUsersRequest())
        assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_the_served_certificate_is_the_nodes_and_plain_http_is_refused(net):
    c = net
    site = c.sites["de"]
    # An HTTPS client that does not trust the network CA refuses the site.
    with pytest.raises(httpx.ConnectError):
        httpx.get(site.url + "/login", verify=True, timeout=5)
    resp = httpx.get(site.url + "/login", verify=ssl.create_default_context(cafile=str(c.folders["de"].ca)),
                     timeout=5)
    assert resp.status_code == 200 and "Sign in" in resp.text


def test_an_own_record_page_names_who_holds_it_and_who_was_shown_it(net, example):
    from rilo_node.core.seizure import parse_submission

    c = net
    out = c.nodes["de"].book.submit_seizure(parse_submission(example(
        case_ref="web-disclosure", description="disclosed in the web test", policy={"share": {"scope": "GLOBAL"}})))
    c.wait_for(lambda: None if c.nodes["fr"].store.get_record("de", out.record_id) else "fr lacks it",
               what="fr holds the record")
    with c.client("fr") as fr:
        resp = fr.search.Search(node_pb2.SearchRequest(filter=node_pb2.SearchFilter(text="disclosed"),
                                                       scope=node_pb2.QUERY_SCOPE_LOCAL), timeout=10)
    assert [h.record_id for h in resp.hits] == [out.record_id]
    with contextlib.closing(browser(c, "de")) as de:
        page = de.get(f"/records/de/{out.record_id}").text
    assert "Who holds it and who was shown it" in page
    table = page.split("Who holds it and who was shown it", 1)[1]
    assert "May hold it under its policy: " in table and "rilo-we" in table
    assert re.search(r"<td>fr</td><td>client:fr:[^<]*</td><td>search</td>", table), table
    assert "no answer from" not in table


def seed_identifier(c, node: str, type_name: str, value: str) -> None:
    """A seizure at `node` whose annex holds the identifier, and `node`'s filter published and held everywhere."""
    from rilo_node.node.hitcheck import HIT_FILTER
    from tests.cluster.harness import member_seizure

    def chunks(at: str) -> dict:
        return {k: v["version"] for k, v in c.holdings(at).items() if k[0] == node and v["kind"] == HIT_FILTER}

    c.submit(node, {**member_seizure(node, c.directory),
                    "annex": {"identifiers": [{"type": type_name, "value": value}]}})
    c.nodes[node].hitcheck.refresh()  # published now, as a check by the node itself would
    own = chunks(node)
    assert own, f"{node} published no filter"
    c.wait_for(lambda: next((f"{at} lacks it" for at in IDS if chunks(at) != own), None),
               what=f"{node}'s filter everywhere")


def test_a_hit_check_names_exactly_the_holder_and_its_button_files_a_request_to_it(net):
    import datetime as dt

    c = net
    seed_identifier(c, "de", "CONTAINER", "CSQU 305438-3")
    with contextlib.closing(browser(c, "fr")) as fr:
        token = re.search(r'name="csrf" value="([^"]+)"', fr.get("/hitcheck").text).group(1)
        form = {"csrf": token, "type": "CONTAINER", "value": "csqu.305438.3", "case_ref": "FR-2026-0007"}
        page = fr.post("/hitcheck", data=form)
        assert page.status_code == 200, page.text
        assert '<span class="mono">CSQU3054383</span>' in page.text
        assert re.findall(r'<li class="mono">([^<\s]+)', page.text) == ["de"]
        assert f"{len(IDS)} of {len(IDS)} nodes answered. Complete." in page.text
        href = re.search(r'<a class="button" href="([^"]+)">Request details</a>', page.text).group(1)
        href = href.replace("&amp;", "&")
        assert "CSQU" not in href.upper() and "305438" not in href  # the value stays out of the URL
        new = fr.get(href)
        assert new.status_code == 200
        assert 'id="addressee" name="addressee" value="de"' in new.text
        subject = "hit/no-hit: CONTAINER (case FR-2026-0007)"  # as `rilo-node hitcheck` prints it
        assert f'id="subject" name="subject" value="{subject}"' in new.text
        due = (dt.date.today() + dt.timedelta(days=14)).isoformat()
        sent = fr.post("/requests/new", data={"csrf": token, "addressee": "de", "subject": subject, "due_date": due,
                                              "facts": "container CSQU3054383", "legal_basis": "Naples II, art. 10"})
        assert sent.status_code == 303 and sent.headers["location"].startswith("/requests/fr/")
        nobody = fr.post("/hitcheck", data={**form, "value": "MSCU 100007-0"})
        assert nobody.status_code == 200 and "No node holds it." in nobody.text
        assert "Request details" not in nobody.text
        # Quota spent at one node: named, its answer missing; at every node asked: 429 and the message.
        c.nodes["rilo-we"].hitcheck.quota_per_day = 0
        partly = fr.post("/hitcheck", data=form)
        assert partly.status_code == 200 and "rilo-we (REFUSED)" in partly.text
        assert "Quota spent at rilo-we" in partly.text and "Not complete" in partly.text
        c.nodes["de"].hitcheck.quota_per_day = 0
        spent = fr.post("/hitcheck", data=form)
        assert spent.status_code == 429 and "quota spent at every node asked" in spent.text
    c.wait_for(lambda: None if any(s.subject == subject and s.requester == "fr"
                                   for s in c.nodes["de"].requests.summaries(box="INBOX", limit=100))
               else "de has not received it", what="de holds fr's request")
    lines = [a for a in c.nodes["fr"].store.audit_entries(limit=10_000) if a["action"] == "hitcheck"]
    assert lines[0]["user"] == "analyst" and lines[0]["actor"] == "web:fr"
    assert lines[0]["detail"] == {"case_ref": "FR-2026-0007", "type": "CONTAINER", "value": "CSQU3054383",
                                  "hits": ["de"]}
    answers = [a for a in c.nodes["de"].store.audit_entries(limit=10_000) if a["action"] == "hitcheck_answer"]
    assert answers and all(not a.get("user") and a["actor"] == "fr" for a in answers)  # the asker's user stays at fr
