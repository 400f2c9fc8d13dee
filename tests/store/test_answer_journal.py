"""The hit check's answer journal (node/answer_journal.py) over a real SQLite file: the quota's count and the
audit lines, in the store after a flush, after a restart that no flush preceded (a crash), never twice."""

from __future__ import annotations

import pytest

from rilo_node.node import answer_journal
from rilo_node.node.answer_journal import PREFIX, AnswerJournal
from rilo_node.store.db import Store


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "node.db")
    yield s
    s.close()


def crash(j: AnswerJournal) -> None:
    """Stop the journal's thread without moving anything into the store, as a killed process would."""
    j._stop.set()
    j._due.set()
    j._thread.join(10)


def answer(j: AnswerJournal, asker: str = "nl", types=("CONTAINER",), quota: int = 5, day: str = "2026-12-07"):
    return j.answered(asker=asker, day=day, at=f"{day}T10:00:00.000000Z", case_ref="NL-1", types=list(types),
                      quota=quota)


def in_store(store) -> tuple[list, list]:
    quota = store.reader.execute("SELECT asker, day, used FROM hitcheck_quota ORDER BY asker").fetchall()
    audit = [(a["actor"], a["detail"]) for a in store.audit_entries(limit=1000) if a["action"] == "hitcheck_answer"]
    return quota, audit


def test_answers_are_counted_at_once_refused_past_the_quota_and_in_the_store_after_a_flush(store, tmp_path):
    j = AnswerJournal(store, tmp_path, "de")
    assert answer(j, types=("CONTAINER", "CONTAINER", "PHONE")) is None
    assert answer(j, asker="fr") is None
    assert j.used("nl", "2026-12-07") == 3
    assert answer(j, types=("IMO",) * 3) == 3  # 3 + 3 > 5: refused, nothing counted
    assert j.used("nl", "2026-12-07") == 3
    assert answer(j, types=("IMO", "IMO")) is None
    j.flush()
    quota, audit = in_store(store)
    assert quota == [("fr", "2026-12-07", 1), ("nl", "2026-12-07", 5)]
    assert sorted((actor, d["type"], d["count"]) for actor, d in audit) == [
        ("fr", "CONTAINER", 1), ("nl", "CONTAINER", 2), ("nl", "IMO", 2), ("nl", "PHONE", 1)]
    assert all(d["case_ref"] == "NL-1" and set(d) == {"case_ref", "type", "count"} for _, d in audit)
    assert j.flush() == 0  # nothing new
    files = list(tmp_path.glob(f"{PREFIX}*"))
    assert len(files) == 1 and files[0].stat().st_mode & 0o777 == 0o600
    j.close()


def test_a_node_that_answers_nothing_leaves_no_file(store, tmp_path):
    AnswerJournal(store, tmp_path, "de").close()
    assert not list(tmp_path.glob(f"{PREFIX}*"))


def test_an_audit_read_sees_every_answer_made_before_it(store, tmp_path):
    j = AnswerJournal(store, tmp_path, "de")
    store.before_audit_read(j.flush)
    answer(j)
    assert [a["actor"] for a in store.audit_entries() if a["action"] == "hitcheck_answer"] == ["nl"]
    j.close()


def test_what_a_crash_left_in_the_journal_is_in_the_store_after_the_restart_and_only_once(store, tmp_path):
    j = AnswerJournal(store, tmp_path, "de")
    answer(j)
    j.flush()
    answer(j, types=("PHONE", "PHONE"))
    answer(j, asker="fr")
    crash(j)  # two answers given, not in the store
    assert in_store(store)[0] == [("nl", "2026-12-07", 1)]

    again = AnswerJournal(store, tmp_path, "de")
    quota, audit = in_store(store)
    assert quota == [("fr", "2026-12-07", 1), ("nl", "2026-12-07", 3)]
    assert len(audit) == 3
    assert again.used("nl", "2026-12-07") == 3
    assert answer(again, types=("IMO",) * 3) == 3  # the count survived the crash: still refused
    crash(again)
    third = AnswerJournal(store, tmp_path, "de")  # nothing left to import: nothing twice
    assert in_store(store)[0] == [("fr", "2026-12-07", 1), ("nl", "2026-12-07", 3)]
    assert len(in_store(store)[1]) == 3
    assert not list(tmp_path.glob(f"{PREFIX}*"))  # the older files went; no answer since made a new one
    third.close()


def test_a_full_file_gives_way_to_the_next_once_it_is_in_the_store(store, tmp_path, monkeypatch):
    monkeypatch.setattr(answer_journal, "ROTATE_BYTES", 300)
    j = AnswerJournal(store, tmp_path, "de")
    first = j._gen
    for day in range(1, 11):
        answer(j, day=f"2026-12-{day:02d}")
        j.flush()
    assert j._gen > first + 2
    assert len(list(tmp_path.glob(f"{PREFIX}*"))) <= 1
    answer(j, day="2026-12-10")
    crash(j)
    AnswerJournal(store, tmp_path, "de").close()
    quota, audit = in_store(store)
    assert len(quota) == 10 and dict(((d, n) for _, d, n in quota))["2026-12-10"] == 2
    assert len(audit) == 11
    assert j.used("nl", "2026-12-10") == 2


def test_a_line_an_os_crash_cut_short_is_skipped(store, tmp_path):
    j = AnswerJournal(store, tmp_path, "de")
    answer(j)
    crash(j)
    with open(j._path(j._gen), "ab") as f:
        f.write(b'{"at":"2026-12-07T10:00:00.000000Z","asker":"nl","da')
    AnswerJournal(store, tmp_path, "de").close()
    assert in_store(store)[0] == [("nl", "2026-12-07", 1)]
