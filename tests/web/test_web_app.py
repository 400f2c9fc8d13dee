"""The web interface over Starlette's TestClient, against a real node: routes, sign-in, sessions, CSRF,
roles, the security headers, bad input, escaping and the audit (INTERFACES.md "Web interface")."""

from __future__ import annotations

import re

import pytest

from rilo_node.node import users as users_mod
from tests.web.conftest import PASSWORDS, csrf_of

PAGES = ["/search", "/stats", "/requests", "/operations", "/operations/op-web", "/admin"]


def check_headers(resp) -> None:
    csp = resp.headers["content-security-policy"]
    directives = dict((d.strip().split(" ", 1) + [""])[:2] for d in csp.split(";") if d.strip())
    assert "unsafe-inline" not in directives["script-src"] and "unsafe-eval" not in directives["script-src"]
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert resp.headers["strict-transport-security"].startswith("max-age=")
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert resp.headers["referrer-policy"] == "no-referrer"


def test_unauthenticated_requests_go_to_login_and_events_answer_401(web):
    c = web.client()
    for path in PAGES + ["/records/de/x", "/no/such/page"]:
        resp = c.get(path, follow_redirects=False)
        assert resp.status_code == 303, path
        assert resp.headers["location"].startswith("/login?next=")
        check_headers(resp)
    assert c.get("/operations/op-web/events").status_code == 401
    assert c.post("/operations/op-web", data={"text": "x"}, follow_redirects=False).status_code == 303
    css = c.get("/static/app.css")
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]
    check_headers(css)
    page = c.get("/login")
    assert page.status_code == 200
    check_headers(page)
    for label in ("User name", "Password"):
        assert f">{label}</label>" in page.text
    assert ">Sign in</button>" in page.text


def test_login_sets_a_host_cookie_and_a_new_session_id_each_time(web):
    c = web.client()
    resp = web.login(c, "analyst")
    assert resp.status_code == 303 and resp.headers["location"] == "/search"
    cookie = next(h for h in resp.headers.get_list("set-cookie") if h.startswith("__Host-"))
    attrs = [a.strip() for a in cookie.split(";")]
    assert {"HttpOnly", "Secure", "SameSite=Strict", "Path=/"} <= set(attrs)
    assert not any(a.lower().startswith("domain") for a in attrs)
    first = c.cookies.get("__Host-rilo_session")
    assert c.get("/search").status_code == 200
    web.login(c, "analyst")
    second = c.cookies.get("__Host-rilo_session")
    assert second and second != first
    stale = web.client()
    stale.cookies.set("__Host-rilo_session", first)
    assert stale.get("/search", follow_redirects=False).status_code == 303  # the old id ended at the new login


def test_wrong_name_or_password_get_the_same_message(web):
    c = web.client()
    wrong_password = web.login(c, "analyst", password="not the password")
    unknown = web.login(c, "nobody", password="not the password")
    assert wrong_password.status_code == unknown.status_code == 401
    message = users_mod.LoginFailed.MESSAGE
    assert message in wrong_password.text and message in unknown.text
    assert 'value="analyst"' in wrong_password.text  # the name typed is kept


def test_failures_throttle_then_lock_the_account(web):
    c = web.client()
    for _ in range(users_mod.THROTTLE_AFTER):
        assert web.login(c, "analyst", password="wrong password!").status_code == 401
    # Throttled: even the right password is refused until the wait has passed.
    assert web.login(c, "analyst").status_code == 401
    web.clock.advance(users_mod.THROTTLE_MAX + 1)
    assert web.login(c, "analyst").status_code == 303  # a success resets the count
    for _ in range(users_mod.LOCK_AFTER):
        web.clock.advance(users_mod.THROTTLE_MAX + 1)
        web.login(c, "analyst", password="wrong password!")
    web.clock.advance(users_mod.THROTTLE_MAX + 1)
    assert web.login(c, "analyst").status_code == 401  # locked
    assert web.users.get("analyst")["locked_until"] > web.clock.now().timestamp()
    web.clock.advance(users_mod.LOCK_SECONDS)
    assert web.login(c, "analyst").status_code == 303


def test_admin_needs_a_totp_code_used_once(web):
    c = web.client()
    assert web.login(c, "admin", code="000000" if web.code() != "000000" else "111111").status_code == 401
    c2 = web.client()
    web.clock.advance(users_mod.THROTTLE_MAX + 1)
    code = web.code()
    assert web.login(c2, "admin", code=code).status_code == 303
    assert c2.get("/admin").status_code == 200
    c3 = web.client()
    assert web.login(c3, "admin", code=code).status_code == 401  # the same code again: refused
    no_code = web.client()
    page = no_code.get("/login")
    resp = no_code.post("/login", data={"csrf": csrf_of(page.text), "name": "admin", "password": PASSWORDS["admin"],
                                        "code": ""}, follow_redirects=False)
    assert resp.status_code == 401


def test_csrf_token_is_required_on_every_post(web):
    c = web.signed_in("analyst")
    before = len(web.messages())
    resp = c.post("/operations/op-web", data={"template": "message", "text": "no token"})
    assert resp.status_code == 403
    resp = c.post("/operations/op-web", data={"template": "message", "text": "bad token", "csrf": "forged"})
    assert resp.status_code == 403
    assert len(web.messages()) == before
    assert c.post("/logout", data={}).status_code == 403
    assert c.get("/search").status_code == 200  # still signed in
    fresh = web.client()
    resp = fresh.post("/login", data={"name": "analyst", "password": PASSWORDS["analyst"], "csrf": "x"},
                      follow_redirects=False)
    assert resp.status_code == 403


def test_roles(web):
    viewer = web.signed_in("viewer")
    analyst = web.signed_in("analyst")
    admin = web.signed_in("admin")
    assert viewer.get("/admin").status_code == 403
    assert analyst.get("/admin").status_code == 403
    page = admin.get("/admin")
    assert page.status_code == 200
    assert "Peers" in page.text and "Security events" in page.text and ">viewer<" in page.text
    web.users.grant("viewer", ["op-web"])
    room = viewer.get("/operations/op-web")
    assert room.status_code == 200 and 'role="log"' in room.text
    before = len(web.messages())
    resp = viewer.post("/operations/op-web", data={"csrf": csrf_of(room.text), "template": "message",
                                                   "text": "a viewer may not post"})
    assert resp.status_code == 403
    assert len(web.messages()) == before
    resp = viewer.post("/requests/new", data={"csrf": csrf_of(room.text), "addressee": "fr", "subject": "x"})
    assert resp.status_code == 403


def test_operations_are_visible_per_user_and_404_otherwise(web):
    viewer = web.signed_in("viewer")
    assert "op-web" not in viewer.get("/operations").text
    hidden = viewer.get("/operations/op-web")
    unknown = viewer.get("/operations/op-does-not-exist")
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.text.replace("op-web", "X") == unknown.text.replace("op-does-not-exist", "X")
    assert viewer.get("/operations/op-web/events").status_code == 404
    analyst = web.signed_in("analyst")
    assert analyst.get("/operations/op-does-not-exist").status_code == 404
    assert analyst.get("/operations/op-does-not-exist/events").status_code == 404
    ops = analyst.get("/operations")
    assert "op-web" in ops.text


def test_message_post_xss_text_and_audit(web):
    c = web.signed_in("analyst")
    room = c.get("/operations/op-web")
    for label in ("Message",):
        assert f'>{label}</label>' in room.text
    assert ">Send</button>" in room.text
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    resp = c.post("/operations/op-web", data={"csrf": csrf_of(room.text), "template": "warning", "text": evil},
                  follow_redirects=False)
    assert resp.status_code == 303
    msgs = web.messages()
    assert msgs[-1].text == "Warning: " + evil and msgs[-1].origin == "de"
    page = c.get("/operations/op-web").text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    posts = [e for e in web.audit() if e["action"] == "post"]
    assert posts and posts[-1]["user"] == "analyst"


def test_over_long_message_keeps_the_text_names_the_field_and_stores_nothing(web):
    c = web.signed_in("analyst")
    room = c.get("/operations/op-web")
    before = len(web.messages())
    text = "y" * 4001
    resp = c.post("/operations/op-web", data={"csrf": csrf_of(room.text), "template": "message", "text": text})
    assert resp.status_code == 400
    assert "Message: at most 4000 characters" in resp.text
    assert text in resp.text and 'aria-invalid="true"' in resp.text
    assert len(web.messages()) == before


def test_seizure_template_stores_a_group_seizure_the_message_refers_to(web):
    c = web.signed_in("analyst")
    room = c.get("/operations/op-web")
    resp = c.post("/operations/op-web", data={
        "csrf": csrf_of(room.text), "template": "seizure", "text": "see <b>this</b>", "seizure_date": "2026-11-20",
        "country": "de", "section": "DRUGS", "category": "COCAINE", "quantity": "12.5", "unit": "KG",
        "description": "<script>bad()</script> in a container"}, follow_redirects=False)
    assert resp.status_code == 303, resp.text
    msg = web.messages()[-1]
    assert len(msg.refs) == 1
    origin, record_id = msg.refs[0].split("/")
    rec = web.node.store.get_record(origin, record_id)
    from rilo_node.core.convert import policy_from_pb
    from rilo_node.pb.rilo.v1 import record_pb2

    policy = policy_from_pb(record_pb2.RecordHeader.FromString(rec.header).policy)
    assert policy.share.scope == "GROUP" and policy.share.group == "op-web"
    page = c.get(f"/records/{origin}/{record_id}").text
    assert "Signature: verified" in page
    assert "<script>bad()" not in page and "&lt;script&gt;bad()&lt;/script&gt;" in page
    bad = c.post("/operations/op-web", data={"csrf": csrf_of(room.text), "template": "seizure", "text": "typed",
                                             "seizure_date": "2026-11-20", "country": "de", "section": "DRUGS",
                                             "category": "GOLD"})
    assert bad.status_code == 400 and "typed" in bad.text
    assert web.messages()[-1].record_id == msg.record_id  # nothing more stored


def test_search_page_audit_and_bad_input(web, example):
    from rilo_node.core.seizure import parse_submission

    for i in range(3):
        web.node.book.submit_seizure(parse_submission(example(case_ref=f"web-{i}", description=f"case {i} cocaine")))
    c = web.signed_in("analyst")
    page = c.get("/search?text=cocaine&scope=local")
    assert page.status_code == 200
    assert "1 of 1 nodes answered" in page.text
    assert len(re.findall(r'<a href="/records/de/', page.text)) == 3
    assert ">Search</button>" in page.text
    for label in ("Text", "Section", "Category", "Country", "From", "To", "Scope"):
        assert f">{label}</label>" in page.text
    searches = [e for e in web.audit() if e["action"] == "search"]
    assert searches[-1]["user"] == "analyst" and searches[-1]["actor"] == "web:de"
    href = re.search(r'<a href="(/records/de/[^"]+)"', page.text).group(1)
    rec = c.get(href)
    assert rec.status_code == 200 and "Signature: verified" in rec.text and "TLP:" in rec.text
    gets = [e for e in web.audit() if e["action"] == "get"]
    assert gets[-1]["user"] == "analyst"
    bad = c.get("/search?text=cocaine&country=XX1&scope=local")
    assert bad.status_code == 400
    assert "country" in bad.text.lower() and 'value="XX1"' in bad.text and 'value="cocaine"' in bad.text
    assert c.get("/search?scope=galaxy").status_code == 400
    assert c.get("/records/de/no-such-record").status_code == 404
    assert c.get("/stats?group_by=section&scope=local").status_code == 200
    assert "<svg" in c.get("/stats?group_by=section&scope=local").text


def test_expired_session_goes_to_login_then_back(web):
    c = web.signed_in("analyst")
    assert c.get("/operations").status_code == 200
    web.clock.advance(users_mod.IDLE_SECONDS + 1)
    resp = c.get("/operations/op-web", follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == "/login?next=%2Foperations%2Fop-web"
    page = c.get(resp.headers["location"])
    assert 'name="next" value="/operations/op-web"' in page.text
    back = c.post("/login", data={"csrf": csrf_of(page.text), "name": "analyst", "password": PASSWORDS["analyst"],
                                  "next": "/operations/op-web"}, follow_redirects=False)
    assert back.status_code == 303 and back.headers["location"] == "/operations/op-web"
    # Absolute expiry: a session used all the time still ends.
    for _ in range(users_mod.ABSOLUTE_SECONDS // (users_mod.IDLE_SECONDS // 2) + 2):
        web.clock.advance(users_mod.IDLE_SECONDS // 2)
        if c.get("/operations", follow_redirects=False).status_code == 303:
            break
    else:
        pytest.fail("the session outlived its absolute expiry")


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil", "javascript:alert(1)"])
def test_login_goes_back_only_inside_the_site(web, target):
    c = web.client()
    resp = web.login(c, "analyst", next_=target)
    assert resp.status_code == 303 and resp.headers["location"] == "/search"


def test_logout_ends_the_session(web):
    c = web.signed_in("analyst")
    page = c.get("/search")
    assert c.post("/logout", data={"csrf": csrf_of(page.text)}, follow_redirects=False).status_code == 303
    assert c.get("/search", follow_redirects=False).status_code == 303


def test_disabled_user_and_new_password_end_sessions(web):
    c = web.signed_in("analyst")
    web.users.set_password("analyst", "another password 9")
    assert c.get("/search", follow_redirects=False).status_code == 303
    assert web.login(c, "analyst", password="another password 9").status_code == 303
    web.users.disable("analyst")
    assert c.get("/search", follow_redirects=False).status_code == 303
    web.clock.advance(users_mod.THROTTLE_MAX + 1)
    assert web.login(c, "analyst", password="another password 9").status_code == 401


def test_export_is_for_analysts_carries_labels_and_is_audited(web, example):
    import json

    from rilo_node.core.seizure import parse_submission

    web.node.book.submit_seizure(parse_submission(example(case_ref="exp-1", description="export me cocaine",
                                                          policy={"tlp": "AMBER"})))
    analyst = web.signed_in("analyst")
    page = analyst.get("/search?text=export&scope=local")
    assert "Export this page (JSON lines)" in page.text and "TLP:AMBER" in page.text
    href = re.search(r'<a class="export" href="([^"]+)"', page.text).group(1).replace("&amp;", "&")
    resp = analyst.get(href)
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(x) for x in resp.text.splitlines()]
    assert len(lines) == 1 and lines[0]["tlp"] == "AMBER" and lines[0]["handling"] == "H0" and lines[0]["body"]
    exports = [e for e in web.audit() if e["action"] == "export"]
    assert exports and exports[-1]["user"] == "analyst"
    viewer = web.signed_in("viewer")
    assert "Export this page" not in viewer.get("/search?text=export&scope=local").text
    assert viewer.get(href).status_code == 403


def test_an_oversized_body_is_refused_before_it_is_read(web):
    c = web.signed_in("analyst")
    room = c.get("/operations/op-web")
    before = len(web.messages())
    resp = c.post("/operations/op-web", data={"csrf": csrf_of(room.text), "template": "message",
                                              "text": "z" * 70_000})
    assert resp.status_code == 413
    check_headers(resp)
    assert len(web.messages()) == before


def test_users_change_their_own_password(web):
    c = web.signed_in("analyst")
    page = c.get("/account")
    for label in ("Current password", "New password", "New password again"):
        assert f">{label}</label>" in page.text
    token = csrf_of(page.text)
    wrong = c.post("/account", data={"csrf": token, "current": "not it at all", "new": "a new password 7",
                                     "again": "a new password 7"})
    assert wrong.status_code == 400 and "Current password: wrong" in wrong.text
    short = c.post("/account", data={"csrf": token, "current": PASSWORDS["analyst"], "new": "short",
                                     "again": "short"})
    assert short.status_code == 400 and "New password: must be at least 12 characters" in short.text
    differ = c.post("/account", data={"csrf": token, "current": PASSWORDS["analyst"], "new": "a new password 7",
                                      "again": "another one 77"})
    assert differ.status_code == 400 and "New password again: not the same" in differ.text
    assert c.post("/account", data={"current": PASSWORDS["analyst"], "new": "a new password 7",
                                    "again": "a new password 7"}).status_code == 403  # no CSRF token
    web.clock.advance(users_mod.THROTTLE_MAX + 1)
    done = c.post("/account", data={"csrf": token, "current": PASSWORDS["analyst"], "new": "a new password 7",
                                    "again": "a new password 7"}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].startswith("/login")
    assert c.get("/search", follow_redirects=False).status_code == 303  # the session ended
    assert web.login(c, "analyst").status_code == 401  # the old password no longer works
    web.clock.advance(users_mod.THROTTLE_MAX + 1)
    assert web.login(c, "analyst", password="a new password 7").status_code == 303
