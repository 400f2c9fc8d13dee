"""The OPRF of the hit/no-hit check: RFC 9497, mode 0 (OPRF), suite ristretto255-SHA512.

Three steps, each a pure function (docs/design.md "Hit/no-hit"):

- the asker blinds its input: ``blind(input) -> (r, r·H(input))``;
- the evaluating node multiplies by its key: ``blind_evaluate(k, r·H(input)) -> k·r·H(input)``;
- the asker removes the blind and hashes: ``finalize(input, r, k·r·H(input)) -> SHA-512(…k·H(input)…)``.

The evaluating node sees only a uniformly random group element; the asker learns
the PRF output under the node's key for the one input it blinded. ``evaluate``
is the node's own unblinded PRF, used to build its filter. The group arithmetic
is libsodium's ristretto255 (through ``rbcl``, which bundles it: PyNaCl does not
expose these functions).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

def _rbcl():
    """rbcl and its libsodium, loaded at the first group operation rather than with the node (a node that
    holds no identifier and answers no check never needs them)."""
    import rbcl

    return rbcl


SUITE = "ristretto255-SHA512"
MODE_OPRF = 0
# RFC 9497 §3.1: contextString = "OPRFV1-" || I2OSP(mode, 1) || "-" || identifier
CONTEXT_STRING = b"OPRFV1-" + bytes([MODE_OPRF]) + b"-" + SUITE.encode()
HASH_TO_GROUP_DST = b"HashToGroup-" + CONTEXT_STRING
HASH_TO_SCALAR_DST = b"HashToScalar-" + CONTEXT_STRING
DERIVE_KEY_PAIR_DST = b"DeriveKeyPair" + CONTEXT_STRING

ELEMENT_BYTES = 32  # Ne
SCALAR_BYTES = 32  # Ns
OUTPUT_BYTES = 64  # Nh
_L = 2**252 + 27742317777372353535851937790883648493  # order of the ristretto255 group
_IDENTITY = bytes(ELEMENT_BYTES)


class OprfError(ValueError):
    """An input the protocol refuses: a hash to the identity, or a malformed or invalid element."""


@dataclass(frozen=True)
class Blinded:
    """What the asker keeps (the blind) and what it sends (the blinded element)."""

    blind: bytes
    element: bytes


def _i2osp(value: int, length: int) -> bytes:
    return value.to_bytes(length, "big")


def expand_message_xmd(msg: bytes, dst: bytes, len_in_bytes: int) -> bytes:
    """RFC 9380 §5.3.1 with SHA-512 (b_in_bytes 64, s_in_bytes 128)."""
    b_in_bytes, s_in_bytes = 64, 128
    ell = -(-len_in_bytes // b_in_bytes)
    if ell > 255 or len_in_bytes > 65535 or len(dst) > 255:
        raise OprfError("expand_message_xmd: requested length or DST too long")
    dst_prime = dst + _i2osp(len(dst), 1)
    msg_prime = bytes(s_in_bytes) + msg + _i2osp(len_in_bytes, 2) + b"\x00" + dst_prime
    b0 = hashlib.sha512(msg_prime).digest()
    b = [hashlib.sha512(b0 + b"\x01" + dst_prime).digest()]
    for i in range(2, ell + 1):
        prev = bytes(x ^ y for x, y in zip(b0, b[-1]))
        b.append(hashlib.sha512(prev + _i2osp(i, 1) + dst_prime).digest())
    return b"".join(b)[:len_in_bytes]


def hash_to_group(msg: bytes) -> bytes:
    """RFC 9497 §4.1: hash_to_ristretto255 with the suite's HashToGroup DST."""
    return _rbcl().crypto_core_ristretto255_from_hash(expand_message_xmd(msg, HASH_TO_GROUP_DST, 64))


def hash_to_scalar(msg: bytes, dst: bytes = HASH_TO_SCALAR_DST) -> bytes:
    """RFC 9497 §4.1: 64 uniform bytes, read little-endian, reduced modulo the group order."""
    return _rbcl().crypto_core_ristretto255_scalar_reduce(expand_message_xmd(msg, dst, 64))


def derive_key(seed: bytes, info: bytes) -> bytes:
    """RFC 9497 §3.2.1 DeriveKeyPair: the private key (scalar) from a 32-byte seed and an info string."""
    derive_input = seed + _i2osp(len(info), 2) + info
    for counter in range(256):
        sk = hash_to_scalar(derive_input + _i2osp(counter, 1), DERIVE_KEY_PAIR_DST)
        if sk != bytes(SCALAR_BYTES):
            return sk
    raise OprfError("DeriveKeyPair: no non-zero scalar")  # pragma: no cover - probability 2^-2000


def generate_key() -> bytes:
    """A fresh random private key (a non-zero scalar)."""
    while True:
        sk = _rbcl().crypto_core_ristretto255_scalar_random()
        if sk != bytes(SCALAR_BYTES):
            return sk


def check_key(sk: bytes) -> bytes:
    """The key as given, if it is a canonical non-zero scalar."""
    if len(sk) != SCALAR_BYTES or int.from_bytes(sk, "little") >= _L or sk == bytes(SCALAR_BYTES):
        raise OprfError("hit-check key is not a canonical non-zero ristretto255 scalar")
    return sk


def _input_element(data: bytes) -> bytes:
    element = hash_to_group(data)
    if element == _IDENTITY:
        raise OprfError("InvalidInputError: input hashes to the identity")  # pragma: no cover
    return element


def blind(data: bytes, blind_scalar: bytes | None = None) -> Blinded:
    """RFC 9497 §3.3.1 Blind. ``blind_scalar`` is for the test vectors only; by default a fresh random one."""
    r = blind_scalar if blind_scalar is not None else generate_key()
    return Blinded(blind=r, element=_rbcl().crypto_scalarmult_ristretto255(r, _input_element(data)))


def check_element(element: bytes) -> bytes:
    """DeserializeElement: a canonical encoding of a valid element that is not the identity."""
    if len(element) != ELEMENT_BYTES or element == _IDENTITY:
        raise OprfError("element is not a non-identity ristretto255 element")
    try:
        valid = _rbcl().crypto_core_ristretto255_is_valid_point(element)
    except (TypeError, ValueError) as exc:
        raise OprfError(f"element is not a valid ristretto255 element: {exc}") from None
    if not valid:
        raise OprfError("element is not a valid ristretto255 element")
    return element


def _mult(scalar: bytes, element: bytes) -> bytes:
    """scalar · element. libsodium decodes the element first and refuses a non-canonical or invalid
    encoding, and a product that is the identity: the checks of DeserializeElement, done once."""
    if len(element) != ELEMENT_BYTES or element == _IDENTITY:
        raise OprfError("element is not a non-identity ristretto255 element")
    try:
        return _rbcl().crypto_scalarmult_ristretto255(scalar, element)
    except (RuntimeError, TypeError, ValueError):
        raise OprfError("element is not a valid ristretto255 element") from None


def blind_evaluate(sk: bytes, blinded_element: bytes) -> bytes:
    """RFC 9497 §3.3.1 BlindEvaluate: the key times the blinded element (refused unless valid)."""
    return _mult(sk, blinded_element)


def _finalize_hash(data: bytes, unblinded: bytes) -> bytes:
    hash_input = _i2osp(len(data), 2) + data + _i2osp(len(unblinded), 2) + unblinded + b"Finalize"
    return hashlib.sha512(hash_input).digest()


def invert(blind_scalar: bytes) -> bytes:
    """The blind's inverse modulo the group order: what unblinds every answer to one blinded element."""
    return _rbcl().crypto_core_ristretto255_scalar_invert(blind_scalar)


def unblind_finalize(data: bytes, inverse: bytes, evaluated_element: bytes) -> bytes:
    """Finalize with the blind's inverse computed once (``invert``): one answer of several to one element."""
    return _finalize_hash(data, _mult(inverse, evaluated_element))


def finalize(data: bytes, blind_scalar: bytes, evaluated_element: bytes) -> bytes:
    """RFC 9497 §3.3.1 Finalize: unblind the node's answer and hash it with the input (64 bytes)."""
    return unblind_finalize(data, invert(blind_scalar), evaluated_element)


def evaluate(sk: bytes, data: bytes) -> bytes:
    """RFC 9497 §3.3.1 Evaluate: the PRF output computed by the key holder itself (its filter)."""
    return _finalize_hash(data, _rbcl().crypto_scalarmult_ristretto255(sk, _input_element(data)))
