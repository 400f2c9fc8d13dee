"""The OPRF (RFC 9497, mode 0, ristretto255-SHA512): the RFC's test vectors, and blind/unblind round trips."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from rilo_node.core import oprf

# RFC 9497 Appendix A.1.1 (ristretto255-SHA512, OPRF mode), verbatim; as carried in the draft's repository,
# github.com/cfrg/draft-irtf-cfrg-voprf poc/vectors/allVectors.json (identifier "ristretto255-SHA512", mode 0).
SEED = "a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3"
KEY_INFO = "74657374206b6579"
SK_SM = "5ebcea5ee37023ccb9fc2d2019f9d7737be85591ae8652ffa9ef0f4d37063b0e"
GROUP_DST = "48617368546f47726f75702d4f50524656312d002d72697374726574746f3235352d534841353132"
VECTORS = [
    {
        "Batch": 1,
        "Blind": "64d37aed22a27f5191de1c1d69fadb899d8862b58eb4220029e036ec4c1f6706",
        "BlindedElement": "609a0ae68c15a3cf6903766461307e5c8bb2f95e7e6550e1ffa2dc99e412803c",
        "EvaluationElement": "7ec6578ae5120958eb2db1745758ff379e77cb64fe77b0b2d8cc917ea0869c7e",
        "Input": "00",
        "Output": "527759c3d9366f277d8c6020418d96bb393ba2afb20ff90df23fb7708264e2f3"
                  "ab9135e3bd69955851de4b1f9fe8a0973396719b7912ba9ee8aa7d0b5e24bcf6",
    },
    {
        "Batch": 1,
        "Blind": "64d37aed22a27f5191de1c1d69fadb899d8862b58eb4220029e036ec4c1f6706",
        "BlindedElement": "da27ef466870f5f15296299850aa088629945a17d1f5b7f5ff043f76b3c06418",
        "EvaluationElement": "b4cbf5a4f1eeda5a63ce7b77c7d23f461db3fcab0dd28e4e17cecb5c90d02c25",
        "Input": "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a",
        "Output": "f4a74c9c592497375e796aa837e907b1a045d34306a749db9f34221f7e750cb4"
                  "f2a6413a6bf6fa5e19ba6348eb673934a722a7ede2e7621306d18951e7cf2c73",
    },
]


def test_the_hash_to_group_dst_is_the_rfcs():
    assert oprf.HASH_TO_GROUP_DST == bytes.fromhex(GROUP_DST)


def test_derive_key_pair_gives_the_rfcs_private_key():
    assert oprf.derive_key(bytes.fromhex(SEED), bytes.fromhex(KEY_INFO)).hex() == SK_SM


@pytest.mark.parametrize("v", VECTORS, ids=["vector-1", "vector-2"])
def test_blind_evaluate_finalize_give_the_rfcs_vectors(v):
    sk = bytes.fromhex(SK_SM)
    data = bytes.fromhex(v["Input"])
    blinded = oprf.blind(data, bytes.fromhex(v["Blind"]))
    assert blinded.element.hex() == v["BlindedElement"]
    evaluated = oprf.blind_evaluate(sk, blinded.element)
    assert evaluated.hex() == v["EvaluationElement"]
    assert oprf.finalize(data, blinded.blind, evaluated).hex() == v["Output"]
    assert oprf.evaluate(sk, data).hex() == v["Output"]


@settings(max_examples=60, deadline=None)
@given(hs.binary(max_size=80))
def test_blind_then_unblind_gives_the_key_holders_own_evaluation(data):
    sk = oprf.generate_key()
    blinded = oprf.blind(data)
    assert oprf.finalize(data, blinded.blind, oprf.blind_evaluate(sk, blinded.element)) == oprf.evaluate(sk, data)


@settings(max_examples=30, deadline=None)
@given(hs.binary(max_size=40))
def test_two_keys_give_two_outputs(data):
    assert oprf.evaluate(oprf.generate_key(), data) != oprf.evaluate(oprf.generate_key(), data)


def test_repeated_blinds_of_one_value_all_differ():
    elements = {oprf.blind(b"CONTAINER:CSQU3054383").element for _ in range(50)}
    assert len(elements) == 50


@pytest.mark.parametrize("bad", [b"", bytes(32), b"\xff" * 32, b"\x01" * 31])
def test_an_evaluator_refuses_what_is_not_a_valid_element(bad):
    with pytest.raises(oprf.OprfError):
        oprf.blind_evaluate(oprf.generate_key(), bad)


def test_a_key_must_be_a_canonical_non_zero_scalar():
    with pytest.raises(oprf.OprfError):
        oprf.check_key(bytes(32))
    with pytest.raises(oprf.OprfError):
        oprf.check_key(b"\xff" * 32)
    sk = oprf.generate_key()
    assert oprf.check_key(sk) == sk
