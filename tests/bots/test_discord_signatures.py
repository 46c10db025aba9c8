"""Ed25519 as Discord uses it, checked against the djb known-answer vectors (RFC 8032 test 1 is
line 1) kept in /work/shared/realdata/webhooks/discord/ (skipped when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bots.platforms.discord import signature_valid

VECTORS = Path("/work/shared/realdata/webhooks/discord/ed25519_sign_input_first64.pynacl.txt")


def _vectors() -> list[tuple[str, bytes, str]]:
    if not VECTORS.exists():
        return []
    rows = []
    for line in VECTORS.read_text().splitlines():
        _secret_and_public, public, message, signed = line.split(":")[:4]
        rows.append((public, bytes.fromhex(message), signed[:128]))
    return rows


def test_the_vectors_are_there_or_the_test_says_why_not():
    if not VECTORS.exists():
        pytest.skip(f"known-answer vectors not present ({VECTORS})")
    assert len(_vectors()) == 64


@pytest.mark.parametrize(("public", "message", "signature"), _vectors()[:64] or [pytest.param("", b"", "", marks=pytest.mark.skip("vectors absent"))])
def test_every_known_answer_signature_verifies_and_a_flipped_bit_does_not(public, message, signature):
    assert signature_valid(public_key=public, signature=signature, message=message)
    flipped = bytearray(bytes.fromhex(signature))
    flipped[0] ^= 1
    assert not signature_valid(public_key=public, signature=flipped.hex(), message=message)
    assert not signature_valid(public_key=public, signature=signature, message=message + b"x")


def test_garbage_keys_and_signatures_are_refused_not_errors():
    assert not signature_valid(public_key="", signature="", message=b"")
    assert not signature_valid(public_key="zz", signature="00" * 64, message=b"")
    assert not signature_valid(public_key="00" * 32, signature="nothex", message=b"")
