"""Every case of policy-vectors.json gives exactly its hold, discover and annex sets."""

import json
import pathlib

import pytest

from rilo_node.core.policy import annex_set, discover_set, hold_set, parse_policy
from rilo_node.core.topology import Directory

REPO = pathlib.Path(__file__).resolve().parents[2]
COPY = REPO / "tests" / "data" / "policy-vectors.json"
SHARED = REPO.parent / "shared" / "design" / "policy-vectors.json"


def _vectors_path() -> pathlib.Path:
    # The copy beside the tests comes first, so a clean clone without ../shared still runs.
    for path in (COPY, SHARED):
        if path.exists():
            return path
    pytest.skip("policy-vectors.json not found", allow_module_level=True)


VECTORS = json.loads(_vectors_path().read_text(encoding="utf-8"))
DIRECTORY = Directory.from_dicts(VECTORS["directory"])


def test_the_vectors_have_sixty_cases():
    assert len(VECTORS["cases"]) == 60


def test_the_copy_in_tests_data_matches_the_shared_design_file():
    if not (COPY.exists() and SHARED.exists()):
        pytest.skip("needs both tests/data and ../shared/design")
    assert json.loads(COPY.read_text(encoding="utf-8")) == json.loads(SHARED.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "case",
    VECTORS["cases"],
    ids=[f"{i:02d}-{c['origin']}-{json.dumps(c['policy'], sort_keys=True)}" for i, c in enumerate(VECTORS["cases"])],
)
def test_each_vector_gives_exactly_its_hold_discover_and_annex_sets(case):
    policy = parse_policy(case["policy"], DIRECTORY)
    origin = case["origin"]
    assert sorted(hold_set(policy, origin, DIRECTORY)) == case["hold"]
    assert sorted(discover_set(policy, origin, DIRECTORY)) == case["discover"]
    assert sorted(annex_set(policy, origin, DIRECTORY)) == case["annex"]
