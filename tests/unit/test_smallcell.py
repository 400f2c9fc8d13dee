"""Small-cell protection (core.smallcell): hypothesis properties, and who counts as inside the area."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from rilo_node.core.smallcell import answer_for, inside_area, lines, protect, protect_for

SECTIONS = ("DRUGS", "REVENUE", "SECURITY", "AML_CTF")
MONTHS = ("2026-01", "2026-02", "2026-03", "2026-04")


@st.composite
def tables(draw):
    width = draw(st.integers(1, 2))
    cells = draw(st.lists(st.sampled_from(MONTHS), min_size=1, max_size=4, unique=True)) if width == 2 else [None]
    keys = [(s,) if m is None else (m, s) for m in cells for s in SECTIONS]
    keys = draw(st.lists(st.sampled_from(keys), min_size=1, max_size=len(keys), unique=True))
    groups = []
    for key in keys:
        cases = draw(st.integers(1, 30))
        groups.append((key, cases, cases + draw(st.integers(0, 10))))
    return groups


@settings(max_examples=400, deadline=None)
@given(tables(), st.integers(2, 10))
def test_no_small_cell_is_shown_and_no_hidden_figure_can_be_subtracted_out(groups, k):
    result = protect(groups, k)
    shown = {g[0] for g in result.shown}
    assert shown | set(result.hidden) == {g[0] for g in groups} and not shown & set(result.hidden)
    # Shown figures are the true ones, and none is small.
    assert all(g in groups and g[1] >= k for g in result.shown)
    cases = {g[0]: g[1] for g in groups}
    keys = sorted(cases)
    for line in lines(keys):
        line_keys = [keys[i] for i in line]
        gone = [key for key in line_keys if key not in shown]
        if not gone or len(gone) == len(line_keys):
            continue
        # The line's total (another query can give it) minus what is shown is the hidden sum: it must
        # cover two cells or more, and be no small figure itself.
        hidden_sum = sum(cases[key] for key in line_keys) - sum(cases[key] for key in line_keys if key in shown)
        assert len(gone) >= 2 and hidden_sum >= k
        assert all(cases[key] < hidden_sum for key in gone)


@given(tables(), st.integers(-1, 1))
def test_k_of_one_or_less_hides_nothing(groups, k):
    assert sorted(protect(groups, k).shown) == sorted(groups)


@given(tables(), st.integers(2, 10))
def test_nothing_is_hidden_where_no_cell_is_small(groups, k):
    if all(g[1] >= k for g in groups):
        assert protect(groups, k).hidden == []


def test_a_single_small_cell_takes_the_smallest_other_with_it():
    groups = [(("DRUGS",), 40, 50), (("REVENUE",), 2, 2), (("SECURITY",), 7, 9), (("AML_CTF",), 12, 12)]
    result = protect(groups, 5)
    assert result.hidden == [("REVENUE",), ("SECURITY",)]
    assert [g[0] for g in result.shown] == [("AML_CTF",), ("DRUGS",)]


class Node:
    def __init__(self, area):
        self.area = area


DIRECTORY = {"de": Node("rilo-we"), "fr": Node("rilo-we"), "rilo-we": Node("rilo-we"), "kr": Node("rilo-ap"),
             "us": Node(None), "wco": Node(None)}


def test_inside_the_area_is_the_node_its_rilo_and_fellow_members():
    assert inside_area(DIRECTORY, "de", "de") and inside_area(DIRECTORY, "de", "fr")
    assert inside_area(DIRECTORY, "de", "rilo-we")
    assert not inside_area(DIRECTORY, "de", "kr") and not inside_area(DIRECTORY, "de", "wco")
    assert not inside_area(DIRECTORY, "us", "wco") and inside_area(DIRECTORY, "us", "us")
    groups = [(("DRUGS",), 40, 50), (("REVENUE",), 2, 2)]
    assert protect_for(groups, k=5, me="de", asker="fr", directory=DIRECTORY) == groups
    assert protect_for(groups, k=5, me="de", asker="kr", directory=DIRECTORY) == []


@given(tables(), st.integers(2, 10))
def test_the_groups_named_as_small_are_exactly_the_hidden_ones_under_k(groups, k):
    shown, small = answer_for(groups, k=k, me="de", asker="kr", directory=DIRECTORY)
    hidden = protect(groups, k).hidden
    cases = {key: c for key, c, _ in groups}
    assert shown == protect(groups, k).shown
    assert set(small) == {key for key in hidden if cases[key] < k}
    assert not set(small) & {key for key, _, _ in shown}
    # inside the area nothing is hidden, so nothing is named
    assert answer_for(groups, k=k, me="de", asker="fr", directory=DIRECTORY) == (list(groups), [])
