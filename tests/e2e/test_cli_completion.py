"""Shell completion: the command completes its commands, subcommands and flags, as bash asks it to."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def complete(tmp_path, line: str) -> list[str]:
    out = tmp_path / "completions"
    env = {**os.environ, "_ARGCOMPLETE": "1", "_ARGCOMPLETE_IFS": "\n", "COMP_LINE": line,
           "COMP_POINT": str(len(line)), "_ARGCOMPLETE_STDOUT_FILENAME": str(out)}
    proc = subprocess.run([sys.executable, "-m", "rilo_node.cli"], env=env, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    return out.read_text().split("\n")


@pytest.mark.parametrize("line, expected", [
    ("rilo-node clu", "cluster"),
    ("rilo-node cluster pa", "partition"),
    ("rilo-node search --sc", "--scope"),
    ("rilo-node security-ev", "security-events"),
    ("rilo-node seizure imp", "import"),
])
def test_commands_subcommands_and_flags_complete(tmp_path, line, expected):
    assert expected in [c.strip() for c in complete(tmp_path, line)]
