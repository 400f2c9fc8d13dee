"""The exit-code rule (docs/operator-guide.md#exit-status) against real processes: a port in use, a node
that serves while `reindex` is asked for, a conflict, a closed pipe, an incomplete search, and tables
that keep ids whole. The flags themselves are checked in process (tests/unit/test_cli_args.py)."""

from __future__ import annotations

import json
import os
import socket
import subprocess

import pytest

from rilo_node.node.provision import init_node_dir
from tests.conftest import seizure_example
from tests.e2e.conftest import RILO, run_cli

pytestmark = pytest.mark.slow


def listing(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_serve_on_a_port_in_use_exits_1_without_a_traceback_and_leaves_the_folder_as_it_was(tmp_path,
                                                                                            topology_path):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        folder = tmp_path / "de"
        init_node_dir(folder, "de", topology_path, listen=f"127.0.0.1:{port}")
        before = listing(folder)
        proc = run_cli("serve", "--config", folder / "node.toml", timeout=60)
        assert proc.returncode == 1, proc.stderr
        assert f"rilo-node: could not bind 127.0.0.1:{port} (in use?)" in proc.stderr
        assert "Traceback" not in proc.stderr
        assert listing(folder) == before  # no node.db, -wal, -shm or serve.json left by the attempt
    finally:
        taken.close()


def test_a_second_serve_of_a_serving_node_fails_and_leaves_the_first_alone(served_node):
    node = served_node("de")
    proc = run_cli("serve", "--config", node.folder / "node.toml", "--listen", node.address, timeout=60)
    assert proc.returncode == 1 and f"could not bind {node.address} (in use?)" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert json.loads(node.cli("status", "--json", check=True).stdout)["node_id"] == "de"
    assert json.loads((node.folder / "serve.json").read_text())["pid"] == node.proc.pid
    node.stop()
    assert not [p.name for p in (node.folder / "data").iterdir() if p.name.endswith(("-wal", "-shm"))]


def test_reindex_refuses_a_node_that_is_serving_and_runs_once_it_stopped(served_node):
    node = served_node("de")
    config = node.folder / "node.toml"
    proc = run_cli("reindex", "--config", config)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert f"node de is serving (pid {node.proc.pid}" in proc.stderr
    node.stop()
    assert run_cli("reindex", "--config", config, check=True).stdout.startswith("rebuilt the search projections")
    # A node that was killed leaves serve.json behind: its pid is gone, so reindex runs.
    node.start()
    node.kill()
    assert (node.folder / "serve.json").exists()
    assert run_cli("reindex", "--config", config).returncode == 0


def test_a_record_id_reused_with_other_content_exits_1_and_bad_input_still_exits_2(served_node, tmp_path):
    node = served_node("de")
    rid = "01JQ6ZK0000000000000000007"
    f = tmp_path / "s.json"
    f.write_text(json.dumps(seizure_example(record_id=rid)))
    node.cli("seizure", "add", "--file", f, check=True)
    f.write_text(json.dumps(seizure_example(record_id=rid, case_ref="other content")))
    conflict = node.cli("seizure", "add", "--file", f)
    assert conflict.returncode == 1 and "already exists with other content" in conflict.stderr
    # An import: a conflicting line alone exits 1; with a line of bad input, 2.
    lines = tmp_path / "in.jsonl"
    lines.write_text(json.dumps(seizure_example(record_id=rid, case_ref="other content")) + "\n"
                     + json.dumps(seizure_example(case_ref="fine")) + "\n")
    proc = node.cli("seizure", "import", lines, "--json", "--quiet")
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout)["refused"] == 1 and f"{lines}:1:" in proc.stderr
    with lines.open("a") as out:
        out.write(json.dumps(seizure_example(seizure_date="14/03/2026")) + "\n")
    proc = node.cli("seizure", "import", lines, "--json", "--quiet")
    assert proc.returncode == 2 and json.loads(proc.stdout)["refused"] == 2


def closed_pipe_run(*args) -> subprocess.CompletedProcess:
    """`rilo-node ARGS | head -0`: the reader is gone before the command writes a byte."""
    proc = subprocess.Popen([*RILO, *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.stdout.close()
    err = proc.stderr.read()
    proc.wait(timeout=60)
    return subprocess.CompletedProcess(proc.args, proc.returncode, "", err)


def test_search_into_a_closed_pipe_an_incomplete_search_any_case_enums_and_whole_ids(served_node, tmp_path):
    node = served_node("de")
    ids = ["01JQ6ZK0000000000000000001", "0190f3a2-1111-7abc-8def-0123456789ab"]
    lines = tmp_path / "in.jsonl"
    lines.write_text("".join(json.dumps(seizure_example(record_id=r, description=f"n{i}")) + "\n"
                             for i, r in enumerate(ids)))
    node.cli("seizure", "import", lines, "--quiet", check=True)

    # A closed pipe is not a failure: exit 0, nothing on stderr (tables and JSON alike).
    for args in (["search"], ["search", "--json"], ["records", "export"], ["stats", "--group-by", "section"]):
        proc = closed_pipe_run(*args, "--node-dir", node.folder)
        assert (proc.returncode, proc.stderr) == (0, ""), args

    # Enum values in any case, as --country takes `de`.
    out = json.loads(node.cli("search", "--section", "drugs", "--category", "Cocaine", "--scope", "Local",
                              "--json", check=True).stdout)
    assert len(out["hits"]) == 2
    stats = json.loads(node.cli("stats", "--group-by", "SECTION", "--json", check=True).stdout)
    assert stats["groups"] == [{"key": {"section": "DRUGS"}, "cases": 2, "items": 2}]

    # An incomplete search (rilo-we has no address, so it cannot answer) still exits 0: `complete` and
    # "(incomplete)" say so.
    proc = node.cli("search", "--scope", "de,rilo-we", "--json")
    assert proc.returncode == 0 and json.loads(proc.stdout)["complete"] is False
    # The table, at 80 columns and into a pipe: every id whole, on one line.
    env = {**os.environ, "COLUMNS": "80"}
    text = subprocess.run([*RILO, "search", "--scope", "de,rilo-we", "--node-dir", str(node.folder)],
                          capture_output=True, text=True, env=env, timeout=60)
    assert text.returncode == 0 and "(incomplete)" in text.stdout and "rilo-we: UNREACHABLE" in text.stdout
    for rid in ids:
        assert any(rid in line and line.lstrip("│ ").startswith("de ") for line in text.stdout.splitlines()), \
            text.stdout
