"""Hit/no-hit over real nodes (gRPC, mutual TLS, SQLite files): a value seeded at one node is found from another,
and only there; the other nodes keep nothing of what was asked; the quota; filters follow retractions and key
rotations, published from the store's commits once the own seizures settle (and at most max_delay after a
change). docs/design.md#hitno-hit-on-identifiers."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from pathlib import Path

import grpc
import pytest

from rilo_node.core import hitfilter, identifiers, oprf
from rilo_node.core.seizure import parse_submission
from rilo_node.node.hitcheck import FILTER_PREFIX, HIT_FILTER, QuotaSpentError, filter_policy
from rilo_node.pb.rilo.v1 import (
    hit_pb2,
    hit_pb2_grpc,
    keys_pb2,
    keys_pb2_grpc,
    node_pb2,
    record_pb2,
    seizure_pb2,
)
from tests.cluster.harness import member_seizure

IDS = ["rilo-we", "de", "nl"]
CONTAINER = seizure_pb2.IDENTIFIER_TYPE_CONTAINER
PHONE = seizure_pb2.IDENTIFIER_TYPE_PHONE
SEEDED = "CSQU 305438-3"  # normalised CSQU3054383
UNKNOWN = "MSCU 100007-0"  # normalised MSCU1000070: nobody holds it


SETTLE = 0.05  # the nodes of `net` publish 50 ms after their own seizures last changed


def own_filter(c, node) -> dict:
    """record_id -> version of each chunk of `node`'s own filter, as `node` holds it."""
    return {k[1]: v["version"] for k, v in c.holdings(node).items() if k[0] == node and v["kind"] == HIT_FILTER}


def republished(c, node, before: dict):
    """For wait_for: `node` has published a filter other than `before`."""
    return lambda: "" if own_filter(c, node) != before else f"{node} has not republished its filter {before}"


def holds_all(c, node, values) -> str:
    """For wait_for: `node`'s published filter holds every (type, normalised value) of `values`."""
    hc = c.nodes[node].hitcheck
    missing = []
    for t, v in values:
        entry = hitfilter.entry_of(oprf.evaluate(hc.key.key, identifiers.oprf_input(t, v)))
        if not hc._filter_holds(node, hc.key.epoch, hc._bits(), entry):
            missing.append(v)
    return f"{node}'s filter lacks {len(missing)} of {len(values)}" if missing else ""


def filters_reached(c, origin):
    """Every node holds the newest version of each chunk of `origin`'s filter."""
    own = {k: v["version"] for k, v in c.holdings(origin).items()
           if k[0] == origin and v["kind"] == HIT_FILTER}
    if not own:
        return f"{origin} has published no filter"
    for node in c.ids:
        held = {k: v["version"] for k, v in c.holdings(node).items() if k[0] == origin and v["kind"] == HIT_FILTER}
        if held != own:
            return f"{node} holds {held} of {origin}'s filter {own}"
    return ""


def seed(c, node, *idents):
    """Submit a seizure with these identifiers; nothing but the node's own follower publishes its filter."""
    before = own_filter(c, node)
    key = c.submit(node, {**member_seizure(node, c.directory),
                          "annex": {"identifiers": [{"type": t, "value": v} for t, v in idents]}})
    c.wait_for(republished(c, node, before), what=f"{node}'s filter republished")
    c.wait_for(lambda: filters_reached(c, node), what=f"{node}'s filter everywhere")
    return key


def check(c, node, *idents, case_ref="DE-2026-0042"):
    with c.client(node) as cl:
        return cl.hits.Check(hit_pb2.CheckRequest(
            identifiers=[seizure_pb2.Identifier(type=t, value=v) for t, v in idents], case_ref=case_ref,
            deadline_ms=5000)).results


def times(c, settle: float, max_delay: float) -> None:
    for node in c.nodes.values():  # read by each follower at its next wake-up
        node.hitcheck.settle, node.hitcheck.max_delay = settle, max_delay


@pytest.fixture
def net(make_cluster):
    c = make_cluster(IDS)
    times(c, SETTLE, 30.0)
    for node in c.nodes.values():  # each follower has looked at its store once: from now on, only commits count
        assert node.hitcheck.followed.wait(30)
    return c


def test_a_node_without_identifiers_publishes_no_filter(net):
    c = net
    for node in IDS:
        assert c.nodes[node].hitcheck.refresh() == 0
        assert not [k for k, v in c.holdings(node).items() if v["kind"] == HIT_FILTER]


def test_a_value_seeded_at_one_node_is_found_from_another_and_only_there(net):
    c = net
    seed(c, "de", ("CONTAINER", SEEDED), ("PHONE", "+49 30 123456"))
    [r] = check(c, "nl", (CONTAINER, "csqu.305438.3"))  # written otherwise: still a hit
    assert r.value == "CSQU3054383"
    assert list(r.hits) == ["de"]
    assert r.complete
    assert sorted(a.node for a in r.nodes) == sorted(IDS)
    assert all(a.status == node_pb2.NODE_ANSWER_STATUS_OK for a in r.nodes)
    [none] = check(c, "nl", (CONTAINER, UNKNOWN))
    assert list(none.hits) == [] and none.complete
    # The holder itself is among the hits when it asks; two identifiers in one check, in order.
    own, phone = check(c, "de", (CONTAINER, SEEDED), (PHONE, "+49 (30) 123-456"))
    assert list(own.hits) == ["de"] and list(phone.hits) == ["de"] and phone.value == "+4930123456"


def test_a_partner_holds_every_filter_and_finds_what_a_customs_node_holds(make_cluster):
    """GLOBAL reaches no partner: the filters name the directory's partners, so that a partner's check is
    answered as any node's (and not a silent no-hit for want of the filters)."""
    ids = ["wco", "rilo-we", "de", "interpol"]
    c = make_cluster(ids)
    times(c, SETTLE, 30.0)
    for node in c.nodes.values():
        assert node.hitcheck.followed.wait(30)
    seed(c, "de", ("CONTAINER", SEEDED))  # until every node, interpol too, holds de's filter
    chunk = c.nodes["interpol"].store.get_record("de", f"{FILTER_PREFIX}0")
    assert chunk is not None and chunk.kind == HIT_FILTER
    [r] = check(c, "interpol", (CONTAINER, SEEDED))
    assert list(r.hits) == ["de"] and r.complete
    assert sorted(a.node for a in r.nodes) == sorted(ids)
    seed(c, "interpol", ("CONTAINER", UNKNOWN))  # a partner's own filter reaches every node too
    [theirs] = check(c, "de", (CONTAINER, UNKNOWN))
    assert list(theirs.hits) == ["interpol"]


def test_a_chunk_published_under_another_policy_is_published_again_unchanged(net):
    """A partner added to the directory since: the next publication (a restart, a change) names it."""
    c = net
    seed(c, "de", ("CONTAINER", SEEDED))
    hc = c.nodes["de"].hitcheck
    before = hit_pb2.HitFilterChunk.FromString(c.nodes["de"].store.get_record("de", f"{FILTER_PREFIX}0").body)
    assert hc.refresh(force=True) == 0  # nothing changed: nothing published
    hc._policy = lambda: filter_policy({"interpol"})
    assert hc.refresh(force=True) == 1 and hc.refresh(force=True) == 0
    rec = c.nodes["de"].store.get_record("de", f"{FILTER_PREFIX}0")
    assert record_pb2.RecordHeader.FromString(rec.header).policy.share.nodes == ["interpol"]
    assert hit_pb2.HitFilterChunk.FromString(rec.body).entries == before.entries


def test_a_bad_check_digit_is_refused_naming_the_identifier_and_nothing_is_asked(net):
    c = net
    before = {n: c.nodes[n].store.audit_entries(limit=10_000) for n in IDS}
    with pytest.raises(grpc.RpcError) as err:
        check(c, "nl", (CONTAINER, "CSQU 305438-4"))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "identifiers[0].value" in err.value.details() and "CSQU 305438-4" in err.value.details()
    with pytest.raises(grpc.RpcError) as err:
        check(c, "nl", (CONTAINER, SEEDED), case_ref="")
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "case_ref" in err.value.details()
    assert {n: c.nodes[n].store.audit_entries(limit=10_000) for n in IDS} == before


def test_no_other_node_keeps_the_value_its_hash_or_its_oprf_output(net, caplog):
    c = net
    caplog.set_level(logging.DEBUG)
    seed(c, "de", ("CONTAINER", SEEDED))
    asked = [("CONTAINER", SEEDED), ("CONTAINER", UNKNOWN), ("PASSPORT", "NLD:XN0123456")]
    for t, v in asked:
        check(c, "nl", (seizure_pb2.IdentifierType.Value(f"IDENTIFIER_TYPE_{t}"), v))
    for node in ("rilo-we", "de"):
        c.nodes[node].store.write(lambda conn: None)  # whatever is pending is in the files now
        files = sorted(p for p in Path(c.nodes[node].config.data_dir).rglob("*") if p.is_file())
        assert any(p.name.endswith("-wal") for p in files) or files
        blobs = [p.read_bytes() for p in files] + [caplog.text.encode()]
        key = c.nodes[node].hitcheck.key.key
        for t, v in asked:
            if node == "de" and v == SEEDED:
                continue  # de holds this one in its own annex
            norm = identifiers.normalise(t, v)
            x = identifiers.oprf_input(t, norm)
            out = oprf.evaluate(key, x)
            needles = {v.encode(), norm.encode(), norm.lower().encode(), x, hashlib.sha256(norm.encode()).digest(),
                       hashlib.sha256(norm.encode()).hexdigest().encode(), hashlib.sha256(x).digest(),
                       hashlib.sha256(x).hexdigest().encode(), out, out.hex().encode(), hitfilter.entry_of(out),
                       hitfilter.entry_of(out).hex().encode()}
            for blob in blobs:
                for needle in needles:
                    assert needle not in blob, f"{node} keeps {needle!r} of {t} {v}"


def test_the_evaluating_nodes_audit_the_asker_case_and_type_and_the_asker_audits_the_value(net):
    c = net
    seed(c, "de", ("CONTAINER", SEEDED))
    check(c, "nl", (CONTAINER, SEEDED), (CONTAINER, UNKNOWN), (PHONE, "+49 30 123456"), case_ref="NL-77")
    for node in ("de", "rilo-we"):
        lines = [a for a in c.nodes[node].store.audit_entries(limit=10_000) if a["action"] == "hitcheck_answer"]
        assert sorted((a["actor"], a["detail"]["case_ref"], a["detail"]["type"], a["detail"]["count"])
                      for a in lines) == [("nl", "NL-77", "CONTAINER", 2), ("nl", "NL-77", "PHONE", 1)]
        assert all(set(a["detail"]) == {"case_ref", "type", "count"} for a in lines)
    mine = [a["detail"] for a in c.nodes["nl"].store.audit_entries(limit=10_000) if a["action"] == "hitcheck"]
    assert mine == [{"case_ref": "NL-77", "type": "CONTAINER", "value": "CSQU3054383", "hits": ["de"]},
                    {"case_ref": "NL-77", "type": "CONTAINER", "value": "MSCU1000070", "hits": []},
                    {"case_ref": "NL-77", "type": "PHONE", "value": "+4930123456", "hits": []}]


def test_the_blinded_elements_sent_for_one_value_all_differ_from_check_to_check(net):
    c = net
    seen: dict[str, list[bytes]] = {"de": [], "rilo-we": []}
    for node in seen:
        hc = c.nodes[node].hitcheck
        real = hc.evaluate

        def recording(asker, elements, case_ref, types, real=real, node=node):
            seen[node].extend(elements)  # what arrived over the wire; the real evaluation answers
            return real(asker, elements, case_ref, types)

        hc.evaluate = recording
    for _ in range(5):
        check(c, "nl", (CONTAINER, SEEDED))
    # One fresh blind for each check: the five checks' elements all differ; within a check, every node
    # was sent the same one (each node's answer is unblinded with its inverse).
    assert len(seen["de"]) == 5 and len(set(seen["de"])) == 5
    assert seen["rilo-we"] == seen["de"]


def test_a_retracted_records_identifiers_leave_its_filter(net):
    c = net
    key = seed(c, "de", ("CONTAINER", SEEDED))
    assert list(check(c, "nl", (CONTAINER, SEEDED))[0].hits) == ["de"]
    before = own_filter(c, "de")
    with c.client("de") as cl:
        cl.records.RetractRecord(node_pb2.RetractRecordRequest(record_id=key.record_id))
    c.wait_for(republished(c, "de", before), what="de's filter without the retracted record's identifiers")
    assert kept_inputs(c.nodes["de"]) == {}  # written with the chunks, in their transaction
    after = own_filter(c, "de")
    assert {k: v - before[k] for k, v in after.items() if v != before[k]} == {f"{FILTER_PREFIX}0": 1}  # the delta
    c.wait_for(lambda: filters_reached(c, "de"), what="de's new filter everywhere")
    assert list(check(c, "nl", (CONTAINER, SEEDED))[0].hits) == []


def test_a_rotation_of_the_signing_key_rebuilds_the_filter_under_a_new_hit_check_key(net):
    c = net
    seed(c, "de", ("CONTAINER", SEEDED))
    before = c.nodes["de"].hitcheck.key.epoch
    times(c, 3600.0, 3600.0)  # the rotation publishes at once, not when the follower would
    c.nodes["de"].keys.rotate()
    assert c.nodes["de"].hitcheck.key.epoch != before
    rebuilt = hit_pb2.HitFilterChunk.FromString(c.nodes["de"].store.get_record("de", f"{FILTER_PREFIX}0").body)
    assert rebuilt.key_epoch == c.nodes["de"].hitcheck.key.epoch
    mode = (Path(c.nodes["de"].config.signing_key).with_name("hitcheck.key").stat().st_mode & 0o777)
    assert mode == 0o600
    c.wait_for(lambda: filters_reached(c, "de"), what="de's rebuilt filter everywhere")
    chunk = hit_pb2.HitFilterChunk.FromString(c.nodes["nl"].store.get_record("de", f"{FILTER_PREFIX}0").body)
    assert chunk.key_epoch == c.nodes["de"].hitcheck.key.epoch
    assert list(check(c, "nl", (CONTAINER, SEEDED))[0].hits) == ["de"]


def test_the_evaluation_past_the_quota_is_refused_by_every_node(make_cluster, monkeypatch):
    quota = 3
    c = make_cluster(IDS, settings={n: {"hitcheck": {"quota_per_day": quota}} for n in IDS})
    for _ in range(quota):
        [r] = check(c, "nl", (CONTAINER, UNKNOWN))
        assert r.complete
    with pytest.raises(grpc.RpcError) as err:
        check(c, "nl", (CONTAINER, UNKNOWN))
    assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "quota" in err.value.details()
    # Each evaluating node refused it (its own evaluation is not counted: nl still finds its own).
    for node in ("de", "rilo-we"):
        c.nodes[node].hitcheck.answers.flush()
        used = c.nodes[node].store.reader.execute(
            "SELECT used FROM hitcheck_quota WHERE asker = 'nl'").fetchone()[0]
        assert used == quota
    # another asker has a quota of its own
    [r] = check(c, "de", (CONTAINER, UNKNOWN))
    assert r.complete

    # A call that cannot fit what is left is refused before any multiplication (the count is in memory).
    hc, counted = c.nodes["de"].hitcheck, []
    real = oprf.blind_evaluate
    monkeypatch.setattr(oprf, "blind_evaluate", lambda k, e: (counted.append(e), real(k, e))[1])
    element = oprf.blind(b"x").element

    def ask(n: int) -> None:
        hc.evaluate("pl", [element] * n, "CASE-1", [CONTAINER] * n)

    ask(2)
    assert len(counted) == 2
    for _ in range(2):
        with pytest.raises(QuotaSpentError):
            ask(2)  # 2 + 2 > 3
        assert len(counted) == 2
    ask(1)  # still fits
    assert len(counted) == 3
    with pytest.raises(QuotaSpentError):
        ask(1)
    assert len(counted) == 3
    hc.answers.flush()
    assert hc.store.reader.execute("SELECT used FROM hitcheck_quota WHERE asker = 'pl'").fetchone()[0] == quota


def test_an_explicit_rotation_of_the_hit_check_key_alone_rebuilds_the_filter(net):
    c = net
    seed(c, "de", ("CONTAINER", SEEDED))
    signing, epoch = c.nodes["de"].key.key_id, c.nodes["de"].hitcheck.key.epoch
    with c.client("de") as cl:
        resp = keys_pb2_grpc.KeyAdminServiceStub(cl.channel).RotateKey(keys_pb2.RotateKeyRequest(hitcheck_only=True))
    assert resp.hitcheck_epoch == c.nodes["de"].hitcheck.key.epoch != epoch
    assert resp.key_id == signing == c.nodes["de"].key.key_id
    c.wait_for(lambda: filters_reached(c, "de"), what="de's rebuilt filter everywhere")
    assert list(check(c, "nl", (CONTAINER, SEEDED))[0].hits) == ["de"]


def test_a_node_that_does_not_answer_makes_the_check_incomplete_and_the_others_still_count(net):
    c = net
    seed(c, "de", ("CONTAINER", SEEDED))
    c.stop("rilo-we")
    [r] = check(c, "nl", (CONTAINER, SEEDED))
    statuses = {a.node: a.status for a in r.nodes}
    assert statuses["rilo-we"] in (node_pb2.NODE_ANSWER_STATUS_UNREACHABLE, node_pb2.NODE_ANSWER_STATUS_TIMEOUT)
    assert statuses["de"] == statuses["nl"] == node_pb2.NODE_ANSWER_STATUS_OK
    assert not r.complete and list(r.hits) == ["de"]
    c.cut("nl", "de")
    [r] = check(c, "nl", (CONTAINER, SEEDED))
    assert {a.node: a.status for a in r.nodes}["de"] == node_pb2.NODE_ANSWER_STATUS_UNREACHABLE
    assert list(r.hits) == [] and not r.complete


def test_a_correction_that_drops_an_identifier_and_an_expired_record_take_theirs_out(net):
    c = net
    key = seed(c, "de", ("CONTAINER", SEEDED), ("PHONE", "+49 30 123456"))
    corrected = {**member_seizure("de", c.directory), "annex": {"identifiers": [{"type": "PHONE",
                                                                                "value": "+49 30 123456"}]}}
    before = own_filter(c, "de")
    with c.client("de") as cl:
        cl.records.UpdateSeizure(node_pb2.UpdateSeizureRequest(record_id=key.record_id,
                                                               submission=parse_submission(corrected)))
    c.wait_for(republished(c, "de", before), what="de's corrected filter")
    c.wait_for(lambda: filters_reached(c, "de"), what="de's corrected filter everywhere")
    container, phone = check(c, "nl", (CONTAINER, SEEDED), (PHONE, "+4930123456"))
    assert list(container.hits) == [] and list(phone.hits) == ["de"]
    # Retention retracts what is older than its days (the seizure is dated 2026-03-14): its identifiers leave.
    before = own_filter(c, "de")
    assert c.nodes["de"].book.retain(30) == 1
    c.wait_for(republished(c, "de", before), what="de's emptied filter")
    c.wait_for(lambda: filters_reached(c, "de"), what="de's emptied filter everywhere")
    [phone] = check(c, "nl", (PHONE, "+4930123456"))
    assert list(phone.hits) == []


def test_evaluate_takes_only_another_nodes_certificate_and_refuses_a_bad_element_counting_nothing(net):
    c = net
    f = c.folders["nl"]
    ca = (f.path / "tls" / "ca.pem").read_bytes()
    request = hit_pb2.EvaluateRequest(blinded_elements=[b"\xff" * 32], case_ref="NL-1", types=[CONTAINER])

    def evaluate(cert: str, key: str, req):
        creds = grpc.ssl_channel_credentials(root_certificates=ca, private_key=(f.path / "tls" / key).read_bytes(),
                                             certificate_chain=(f.path / "tls" / cert).read_bytes())
        with grpc.secure_channel(f"127.0.0.1:{c.ports['de']}", creds,
                                 options=[("grpc.ssl_target_name_override", "de.node.rilo")]) as ch:
            return hit_pb2_grpc.HitEvaluationServiceStub(ch).Evaluate(req, timeout=10)

    with pytest.raises(grpc.RpcError) as err:
        evaluate("client.pem", "client.key", request)
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.RpcError) as err:
        evaluate("node.pem", "node.key", request)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "blinded_elements[0]" in err.value.details()
    c.nodes["de"].hitcheck.answers.flush()
    assert c.nodes["de"].store.reader.execute("SELECT COUNT(*) FROM hitcheck_quota").fetchone()[0] == 0
    good = hit_pb2.EvaluateRequest(blinded_elements=[oprf.blind(b"x").element], case_ref="NL-1", types=[CONTAINER])
    assert len(evaluate("node.pem", "node.key", good).evaluated_elements) == 1
    c.nodes["de"].hitcheck.answers.flush()
    assert c.nodes["de"].store.reader.execute("SELECT asker, used FROM hitcheck_quota").fetchall() == [("nl", 1)]


# -- publishing from the store's commits ----------------------------------------------------------------


def containers(n: int, start: int = 0) -> list[str]:
    """n valid ISO 6346 container numbers, normalised."""
    alphabet = "0123456789A BCDEFGHIJK LMNOPQRSTU VWXYZ"
    out = []
    for i in range(start, start + n):
        body = f"TSTU{i:06d}"
        out.append(body + str(sum(alphabet.index(ch) * 2 ** k for k, ch in enumerate(body)) % 11 % 10))
    return out


def submit_each(c, node, values: list[str]) -> None:
    """One SubmitSeizure call (one commit) per value."""
    with c.client(node) as cl:
        for v in values:
            sub = parse_submission({**member_seizure(node, c.directory),
                                    "annex": {"identifiers": [{"type": "CONTAINER", "value": v}]}})
            cl.records.SubmitSeizure(node_pb2.SubmitSeizureRequest(submission=sub))


def test_the_filter_follows_the_stores_commits_on_a_thread_of_its_own_not_a_polling_job(net):
    c = net
    de = c.nodes["de"]
    assert de.jobs.scheduler.get_job("hitcheck-filter") is None
    follower = next(t for t in threading.enumerate() if t.name == "hitcheck:de")
    seed(c, "de", ("CONTAINER", SEEDED))  # published by the follower alone (seed never calls refresh)
    assert de.hitcheck.publications == 1
    c.stop("de")
    assert not follower.is_alive()


def test_a_burst_of_seizures_is_published_once_it_settles(net):
    c = net
    settle = 1.0
    times(c, settle, 3600.0)
    values = containers(20)
    t0 = time.monotonic()
    submit_each(c, "de", values)  # 20 commits
    burst = time.monotonic() - t0
    c.wait_for(lambda: holds_all(c, "de", [("CONTAINER", v) for v in values]), what="every value in de's filter")
    # Each publication of the follower comes `settle` after a change it had not published, so a burst
    # of `burst` seconds is published at most burst / settle + 1 times (once, unless the machine stalls).
    assert 1 <= own_filter(c, "de")[f"{FILTER_PREFIX}0"] <= burst / settle + 1
    assert c.nodes["de"].hitcheck.publications == own_filter(c, "de")[f"{FILTER_PREFIX}0"]


def test_a_steady_stream_of_seizures_is_published_at_most_every_max_delay(net):
    c = net
    max_delay = 0.5
    times(c, 3600.0, max_delay)  # never settles: only max_delay publishes
    t0 = time.monotonic()
    sent: list[str] = []
    with c.client("de") as cl:
        while own_filter(c, "de").get(f"{FILTER_PREFIX}0", 0) < 2:
            assert len(sent) < 5000, "de did not publish while its seizures kept changing"
            v = containers(1, len(sent))[0]
            sub = parse_submission({**member_seizure("de", c.directory),
                                    "annex": {"identifiers": [{"type": "CONTAINER", "value": v}]}})
            cl.records.SubmitSeizure(node_pb2.SubmitSeizureRequest(submission=sub))
            sent.append(v)
    elapsed = time.monotonic() - t0
    # The first publication comes max_delay after the first change, each next one max_delay after the
    # first change it had not published.
    assert own_filter(c, "de")[f"{FILTER_PREFIX}0"] <= elapsed / max_delay + 1
    # What came after the last publication follows within max_delay of its first change.
    c.wait_for(lambda: holds_all(c, "de", [("CONTAINER", v) for v in sent]), what="every value in de's filter")


def test_an_unpublished_identifier_is_found_by_its_own_node_at_once(net):
    c = net
    times(c, 3600.0, 3600.0)  # the follower would wait an hour
    de = c.nodes["de"].hitcheck
    c.submit("de", {**member_seizure("de", c.directory),
                    "annex": {"identifiers": [{"type": "CONTAINER", "value": SEEDED}]}})
    c.wait_for(lambda: "" if de.pending_since is not None else "de's follower has not seen the change",
               what="de's follower to see its new seizure")
    assert own_filter(c, "de") == {}  # nothing published yet
    [r] = check(c, "de", (CONTAINER, SEEDED))  # a check refreshes the asker's own filter first
    assert list(r.hits) == ["de"]
    assert set(own_filter(c, "de")) == {f"{FILTER_PREFIX}0"}
    c.wait_for(lambda: filters_reached(c, "de"), what="de's filter everywhere")
    assert list(check(c, "nl", (CONTAINER, SEEDED))[0].hits) == ["de"]


def evaluating(c) -> dict:
    """node -> how many evaluation streams it holds open now."""
    return {n: node.pools.evaluating for n, node in c.nodes.items()}


def test_an_asker_keeps_one_evaluation_stream_to_each_node_between_checks_and_closes_it_when_idle(net):
    c = net
    seed(c, "de", ("CONTAINER", SEEDED))
    asker = c.nodes["nl"].hitcheck
    asker.streams.idle = 3600.0  # not closed while the checks below run, however slow the machine
    [first] = check(c, "nl", (CONTAINER, SEEDED))
    c.wait_for(lambda: "" if evaluating(c) == {"rilo-we": 1, "de": 1, "nl": 0} else str(evaluating(c)),
               what="one stream open at each evaluating node")
    opened = c.nodes["nl"].hitcheck.channels.run(_streams_of(asker)).result(10)
    second, unknown = check(c, "nl", (CONTAINER, SEEDED), (CONTAINER, UNKNOWN))
    assert list(first.hits) == list(second.hits) == ["de"] and first.complete and second.complete
    assert list(unknown.hits) == [] and unknown.complete
    assert c.nodes["nl"].hitcheck.channels.run(_streams_of(asker)).result(10) == opened  # the same streams
    assert evaluating(c) == {"rilo-we": 1, "de": 1, "nl": 0}
    # Idle: the asker ends each stream as a client ends its requests, and every evaluating node lets go.
    asker.streams.idle = 0.0
    assert sorted(c.nodes["nl"].hitcheck.channels.run(asker.streams.close_idle()).result(10)) == ["de", "rilo-we"]
    c.wait_for(lambda: "" if not any(evaluating(c).values()) else str(evaluating(c)),
               what="the idle streams closed")
    [third] = check(c, "nl", (CONTAINER, SEEDED))  # a new stream each
    assert list(third.hits) == ["de"] and third.complete


async def _streams_of(streams_owner):
    return {n: id(s) for n, s in streams_owner.streams._streams.items()}


def test_a_node_holding_all_the_evaluation_streams_it_takes_is_asked_with_unary_calls(net):
    c = net
    seed(c, "de", ("CONTAINER", SEEDED))
    c.nodes["de"].pools.evaluate_streams = 0  # de refuses every stream at its start
    [r] = check(c, "nl", (CONTAINER, SEEDED))
    assert list(r.hits) == ["de"] and r.complete, [(a.node, a.status, a.error) for a in r.nodes]
    assert evaluating(c)["de"] == 0
    assert "de" in c.nodes["nl"].hitcheck.streams._unary_until  # and asked with unary calls for a while
    [r] = check(c, "nl", (CONTAINER, SEEDED))
    assert list(r.hits) == ["de"] and r.complete


def test_a_refused_request_on_an_evaluation_stream_is_answered_with_its_status_and_the_stream_goes_on(net):
    c = net
    f = c.folders["nl"]
    ca = (f.path / "tls" / "ca.pem").read_bytes()
    bad = hit_pb2.EvaluateRequest(blinded_elements=[b"\xff" * 32], case_ref="NL-1", types=[CONTAINER])
    good = hit_pb2.EvaluateRequest(blinded_elements=[oprf.blind(b"x").element], case_ref="NL-1", types=[CONTAINER])

    def stream(cert: str, key: str, requests):
        creds = grpc.ssl_channel_credentials(root_certificates=ca, private_key=(f.path / "tls" / key).read_bytes(),
                                             certificate_chain=(f.path / "tls" / cert).read_bytes())
        with grpc.secure_channel(f"127.0.0.1:{c.ports['de']}", creds,
                                 options=[("grpc.ssl_target_name_override", "de.node.rilo")]) as ch:
            return list(hit_pb2_grpc.HitEvaluationServiceStub(ch).EvaluateStream(iter(requests), timeout=10))

    with pytest.raises(grpc.RpcError) as err:  # a client certificate: the stream is refused at its start
        stream("client.pem", "client.key", [hit_pb2.EvaluateStreamRequest(id=1, request=good)])
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    answers = stream("node.pem", "node.key", [hit_pb2.EvaluateStreamRequest(id=7, request=bad),
                                              hit_pb2.EvaluateStreamRequest(id=8, request=good),
                                              hit_pb2.EvaluateStreamRequest(id=9, request=hit_pb2.EvaluateRequest(
                                                  blinded_elements=good.blinded_elements, types=[CONTAINER]))])
    assert [a.id for a in answers] == [7, 8, 9]
    assert answers[0].code == grpc.StatusCode.INVALID_ARGUMENT.value[0] and "blinded_elements[0]" in answers[0].message
    assert answers[1].code == 0 and len(answers[1].response.evaluated_elements) == 1
    assert answers[2].code == grpc.StatusCode.INVALID_ARGUMENT.value[0] and "case_ref" in answers[2].message
    c.nodes["de"].hitcheck.answers.flush()  # only the good one counted
    assert c.nodes["de"].store.reader.execute("SELECT asker, used FROM hitcheck_quota").fetchall() == [("nl", 1)]
    assert c.nodes["de"].pools.evaluating == 0  # the stream ended with its requests


# -- after a restart (migration m0014): the inputs kept in the store, not every own record read again ----------


def kept_inputs(node) -> dict:
    rows = node.store.reader.execute("SELECT record_id, input FROM hitcheck_inputs").fetchall()
    out: dict = {}
    for record_id, x in rows:
        out.setdefault(record_id, set()).add(bytes(x))
    return {r: frozenset(xs) for r, xs in out.items()}


def test_a_restarted_node_reads_its_kept_inputs_not_every_own_record_and_follows_from_there(net, monkeypatch):
    from rilo_node.node.hitcheck import HitCheck

    c = net
    seed(c, "de", ("CONTAINER", SEEDED))
    for _ in range(3):  # own seizures without identifiers: read once, never again
        c.submit("de", member_seizure("de", c.directory))
    reader = c.nodes["de"].store.reader
    top = reader.execute("SELECT MAX(seq) FROM records WHERE origin = 'de' AND kind = 1").fetchone()[0]

    def kept_up():
        row = reader.execute("SELECT seen_seq FROM hitcheck_state").fetchone()
        return "" if row and row[0] == top else f"de keeps its inputs up to {row}, not {top}"

    c.wait_for(kept_up, what="de's inputs kept up to its last seizure")
    hc = c.nodes["de"].hitcheck
    kept, counts = kept_inputs(c.nodes["de"]), dict(hc._counts)
    assert kept == hc._by_record and len(kept) == 1
    before = own_filter(c, "de")

    parsed = []
    original = HitCheck._inputs_of
    monkeypatch.setattr(HitCheck, "_inputs_of", lambda self, annex: parsed.append(1) or original(self, annex))
    c.stop("de")
    c.restart("de")
    hc = c.nodes["de"].hitcheck
    assert hc.followed.wait(30)
    assert parsed == [] and hc._by_record == kept and hc._counts == counts
    assert own_filter(c, "de") == before  # nothing published again
    # What comes after the restart is followed as before: one record read, the filter republished.
    times(c, SETTLE, 30.0)
    seed(c, "de", ("PHONE", "+49 30 123456"))
    assert len(parsed) == 1 and len(kept_inputs(c.nodes["de"])) == 2
    assert [list(r.hits) for r in check(c, "nl", (CONTAINER, SEEDED), (PHONE, "+49 30 123456"))] == [["de"], ["de"]]


def test_a_filter_published_under_an_older_key_is_built_again_whole_at_the_next_start(net):
    c = net
    seed(c, "de", ("CONTAINER", SEEDED))
    old = c.nodes["de"].hitcheck.key.epoch
    key_file = Path(c.nodes["de"].config.signing_key).with_name("hitcheck.key")
    c.stop("de")
    # The key rotated, and the node stopped before it published the filter under it.
    key_file.write_text(f"feedfacefeedface {oprf.generate_key().hex()}\n")
    node = c.restart("de")
    assert node.hitcheck.followed.wait(30)
    chunk = hit_pb2.HitFilterChunk.FromString(node.store.get_record("de", f"{FILTER_PREFIX}0").body)
    assert chunk.key_epoch == "feedfacefeedface" != old
    c.wait_for(lambda: filters_reached(c, "de"), what="de's rebuilt filter everywhere")
    assert list(check(c, "nl", (CONTAINER, SEEDED))[0].hits) == ["de"]
