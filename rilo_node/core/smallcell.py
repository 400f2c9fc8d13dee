"""Small-cell protection of statistics (docs/protocol.md#small-cell-protection). Pure.

A node with `stats.min_cell = k` answers askers outside its area without any group of fewer than k of
its own cases (primary suppression). Hiding a cell is not enough where a total is known: a line's total
(every group, or the groups that share all key values but one) minus the cells shown would give the
hidden cell. So in every such line the hidden cells are either none, or at least two that together
hold at least k cases (complementary suppression): the smallest shown cells of a line are hidden too
until that holds. What is shown then adds up to no total from which a hidden figure can be recovered by
subtracting shown ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

Group = tuple[tuple, int, int]  # (key values, cases, items)


@dataclass(frozen=True)
class Protected:
    shown: list[Group]
    hidden: list[tuple]  # keys of the groups left out (each had fewer than k cases, or hides one that had)
    k: int


def inside_area(directory, me: str, asker: str) -> bool:
    """Whether `asker` sits in this node's area (the node itself always does; a node with no area has
    no one else inside)."""
    if asker == me:
        return True
    mine, theirs = directory.get(me), directory.get(asker)
    return bool(mine and theirs and mine.area and mine.area == theirs.area)


def lines(keys: list[tuple]) -> list[list[int]]:
    """Every set of groups whose total an asker can learn by another query: all of them, and for each
    key position, the groups equal at every other position."""
    if not keys:
        return []
    out = [list(range(len(keys)))]
    width = len(keys[0])
    if width > 1:
        for d in range(width):
            by_rest: dict[tuple, list[int]] = {}
            for i, key in enumerate(keys):
                by_rest.setdefault(key[:d] + key[d + 1:], []).append(i)
            out += [idx for idx in by_rest.values() if len(idx) > 1]
    return out


def protect(groups: Iterable[Group], k: int) -> Protected:
    """The groups to show: each has at least k cases, and every line's hidden cells are none, or at
    least two holding at least k cases together. k <= 1 hides nothing."""
    groups = sorted(groups, key=lambda g: g[0])
    if k <= 1:
        return Protected(groups, [], k)
    keys = [g[0] for g in groups]
    cases = [g[1] for g in groups]
    hidden = {i for i, c in enumerate(cases) if c < k}
    all_lines = lines(keys)
    changed = bool(hidden)
    while changed:
        changed = False
        for line in all_lines:
            gone = [i for i in line if i in hidden]
            if not gone or (len(gone) >= 2 and sum(cases[i] for i in gone) >= k):
                continue
            shown = [i for i in line if i not in hidden]
            if not shown:
                continue  # the whole line is hidden: no shown figure to subtract
            # The smallest shown cell of the line goes too (ties: the first key), and every line is
            # looked at again, as hiding it can unsettle another.
            hidden.add(min(shown, key=lambda i: (cases[i], keys[i])))
            changed = True
    return Protected([g for i, g in enumerate(groups) if i not in hidden], [keys[i] for i in sorted(hidden)], k)


def protect_for(groups: Iterable[Group], *, k: int, me: str, asker: str, directory) -> list[Group]:
    """What node `me` answers `asker` (QueryEngine.local_stats): everything inside its area; outside it,
    the groups protect() shows."""
    return answer_for(groups, k=k, me=me, asker=asker, directory=directory)[0]


def answer_for(groups: Iterable[Group], *, k: int, me: str, asker: str, directory
               ) -> tuple[list[Group], list[tuple]]:
    """protect_for, and the keys of the groups hidden for having fewer than k cases, which the answer
    names with no figure (shown as `<k`). A group hidden only to protect another (complementary
    suppression) may hold k or more cases: it is left out, as a `<k` would be untrue of it. Naming a
    small group tells only that it holds between 1 and k-1 cases, which recovers no figure by subtraction."""
    groups = list(groups)
    if k <= 1 or inside_area(directory, me, asker):
        return groups, []
    out = protect(groups, k)
    small = {key for key, cases, _items in groups if cases < k}
    return out.shown, [key for key in out.hidden if key in small]
