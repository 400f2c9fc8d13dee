"""The hit-check page over Starlette's TestClient, against a real node: the form, roles, CSRF, bad input naming
the field, escaping, the audit's user, and the request form it leads to for several nodes at once
(INTERFACES.md "Hit/no-hit" and "Web interface"). Across real nodes: tests/web/test_web_node.py."""

from __future__ import annotations

import datetime as dt
import re

from rilo_node.core import identifiers
from rilo_node.core.seizure import parse_submission
from tests.web.conftest import csrf_of

SEEDED = "CSQU 305438-3"  # normalised CSQU3054383


def hitchecks(web) -> list[dict]:
    return [e for e in web.audit() if e["action"] == "hitcheck"]


def check(client, **fields):
    page = client.get("/hitcheck")
    data = {"csrf": csrf_of(page.text), "type": "CONTAINER", "value": SEEDED, "case_ref": "DE-2026-0042", **fields}
    return client.post("/hitcheck", data=data)


def test_the_form_its_labels_and_who_sees_it(web):
    assert web.client().get("/hitcheck", follow_redirects=False).status_code == 303  # to /login
    analyst = web.signed_in("analyst")
    page = analyst.get("/hitcheck")
    assert page.status_code == 200
    for label in ("Type", "Value", "Case reference"):
        assert f">{label}</label>" in page.text
    assert ">Check</button>" in page.text
    assert re.findall(r'<option value="([A-Z_]+)"', page.text) == list(identifiers.TYPES)
    assert '<a href="/hitcheck" aria-current="page">Hit check</a>' in page.text
    assert '<a href="/hitcheck"' in analyst.get("/search").text
    viewer = web.signed_in("viewer")
    assert '<a href="/hitcheck"' not in viewer.get("/search").text
    assert viewer.get("/hitcheck").status_code == 403


def test_an_own_identifier_is_found_here_normalised_and_audited_with_the_user(web, example):
    web.node.book.submit_seizure(parse_submission(example(annex={"identifiers": [
        {"type": "CONTAINER", "value": SEEDED}]})))
    c = web.signed_in("analyst")
    resp = check(c, value="csqu.305438.3")
    assert resp.status_code == 200
    assert '<span class="mono">CSQU3054383</span>' in resp.text
    assert re.findall(r'<li class="mono">([^<\s]+)', resp.text) == ["de"]
    assert "this node" in resp.text
    assert "Request details" not in resp.text  # a node does not send requests to itself
    # Only de runs here: the others are named as not answering, as on the search page.
    assert re.search(r"1 of \d+ nodes answered; no answer from ", resp.text)
    assert "fr (UNREACHABLE)" in resp.text and "Not complete" in resp.text
    [line] = hitchecks(web)
    assert line["user"] == "analyst" and line["actor"] == "web:de"
    assert line["detail"] == {"case_ref": "DE-2026-0042", "type": "CONTAINER", "value": "CSQU3054383", "hits": ["de"]}
    none = check(c, value="MSCU 100007-0")
    assert none.status_code == 200 and "No node that answered holds it." in none.text
    assert '<li class="mono">' not in none.text


def test_a_post_without_the_csrf_token_is_refused_and_asks_nothing(web):
    c = web.signed_in("analyst")
    data = {"type": "CONTAINER", "value": SEEDED, "case_ref": "DE-1"}
    assert c.post("/hitcheck", data=data).status_code == 403
    assert c.post("/hitcheck", data={**data, "csrf": "forged"}).status_code == 403
    assert hitchecks(web) == []


def test_a_viewer_may_not_check(web):
    viewer = web.signed_in("viewer")
    resp = check(viewer)  # the token of the 403 page the viewer gets for the form: the session's own
    assert resp.status_code == 403 and "Your role does not allow this" in resp.text
    assert hitchecks(web) == []


def test_bad_input_is_refused_naming_the_field_and_nothing_is_asked(web):
    c = web.signed_in("analyst")
    bad = check(c, value="CSQU 305438-4", case_ref="DE-7")
    assert bad.status_code == 400
    assert "Value: CONTAINER &#39;CSQU 305438-4&#39; is refused" in bad.text
    assert re.search(r'id="value" name="value" value="CSQU 305438-4"[^>]* aria-invalid="true"', bad.text)
    assert 'value="DE-7"' in bad.text  # what was typed is kept
    missing = check(c, case_ref="  ")
    assert missing.status_code == 400 and "Case reference: is required" in missing.text
    long = check(c, case_ref="x" * 101)
    assert long.status_code == 400 and "Case reference: at most 100 characters" in long.text
    wrong_type = check(c, type="SHOE_SIZE")
    assert wrong_type.status_code == 400 and "Type: choose one of CONTAINER" in wrong_type.text
    empty = check(c, type="IMO", value="")
    assert empty.status_code == 400 and "Value: a IMO identifier needs a value" in empty.text
    assert hitchecks(web) == []


def test_what_is_typed_is_escaped(web):
    c = web.signed_in("analyst")
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    bad = check(c, type="COMPANY", value=evil, case_ref=evil)
    assert bad.status_code == 400
    assert "<script>alert" not in bad.text and "<img src=x" not in bad.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in bad.text
    ok = check(c, case_ref=evil)
    assert ok.status_code == 200
    assert "<script>alert" not in ok.text and "<img src=x" not in ok.text
    assert "Case &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in ok.text
    assert hitchecks(web)[-1]["detail"]["case_ref"] == evil


def test_the_request_form_files_one_request_to_each_node_named_or_none(web):
    c = web.signed_in("analyst")
    subject = "hit/no-hit: CONTAINER (case DE-2026-0042)"
    page = c.get("/requests/new", params={"addressee": "fr,nl", "subject": subject})
    assert page.status_code == 200 and "One request will be sent to each node" in page.text
    assert 'id="addressee" name="addressee" value="fr,nl"' in page.text
    due = (web.clock.now().date() + dt.timedelta(days=14)).isoformat()
    form = {"csrf": csrf_of(page.text), "addressee": "fr,nl", "subject": subject, "facts": "seen in a hit check",
            "legal_basis": "Nairobi Convention, Annex X", "due_date": due}

    def sent() -> list[str]:
        return sorted(s.addressee for s in web.node.requests.summaries(box="OUTBOX", limit=100))

    unknown = c.post("/requests/new", data={**form, "addressee": "fr, no-such-node"})
    assert unknown.status_code == 400 and "no-such-node" in unknown.text
    assert 'id="addressee" name="addressee" value="fr, no-such-node" aria-invalid="true"' in unknown.text
    no_basis = c.post("/requests/new", data={**form, "legal_basis": ""})
    assert no_basis.status_code == 400
    assert re.search(r'id="legal_basis"[^>]*aria-invalid="true"', no_basis.text)
    assert sent() == []  # neither filed one to fr
    done = c.post("/requests/new", data=form, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/requests"
    assert sent() == ["fr", "nl"]
    subjects = {s.subject for s in web.node.requests.summaries(box="OUTBOX", limit=100)}
    assert subjects == {subject}
    one = c.post("/requests/new", data={**form, "addressee": "fr"}, follow_redirects=False)
    assert one.status_code == 303 and one.headers["location"].startswith("/requests/de/")
    assert [e["user"] for e in web.audit() if e["action"] == "request"] == ["analyst"] * 3
