"""Annex identifiers: every raw form of the shared table normalises as written there, or is refused naming it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as hs

from rilo_node.core import identifiers
from rilo_node.core.errors import ValidationError

VECTORS = json.loads((Path(__file__).parent.parent / "data" / "identifiers.json").read_text())["vectors"]


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: f"{v['type']}:{v['raw']}")
def test_each_written_form_normalises_or_is_refused_as_the_table_says(vector):
    field = "annex.identifiers[3].value"
    if "normalised" in vector:
        assert identifiers.normalise(vector["type"], vector["raw"], field) == vector["normalised"]
        # the normalised form is a fixed point
        assert identifiers.normalise(vector["type"], vector["normalised"], field) == vector["normalised"]
    else:
        with pytest.raises(ValidationError) as err:
            identifiers.normalise(vector["type"], vector["raw"], field)
        assert vector["refused"].lower() in str(err.value).lower()
        assert err.value.field.startswith("annex.identifiers[3]")


def test_a_refusal_names_the_identifier_it_refuses():
    with pytest.raises(ValidationError) as err:
        identifiers.normalise("CONTAINER", "CSQU 305438-4", "annex.identifiers[0].value")
    assert err.value.field == "annex.identifiers[0].value"
    assert "CONTAINER 'CSQU 305438-4'" in str(err.value)


def test_every_type_has_a_normalised_and_a_refused_vector_in_the_table():
    for type_name in identifiers.TYPES:
        kinds = {("normalised" in v) for v in VECTORS if v["type"] == type_name}
        assert kinds == {True, False}, type_name


def test_oprf_inputs_of_two_types_never_collide():
    assert identifiers.oprf_input("PASSPORT", "NLD:X1") != identifiers.oprf_input("ID_CARD", "NLD:X1")


@given(hs.sampled_from([v for v in VECTORS if "normalised" in v]),
       hs.lists(hs.sampled_from([" ", "-", ".", "\u2013"]), max_size=3))
def test_spaces_dashes_and_dots_anywhere_do_not_change_the_normalised_form(vector, noise):
    raw = vector["raw"]
    cut = len(raw) // 2
    noisy = raw[:cut] + "".join(noise) + raw[cut:]
    if vector["type"] == "PHONE" and cut == 0:
        return
    assert identifiers.normalise(vector["type"], noisy) == vector["normalised"]
