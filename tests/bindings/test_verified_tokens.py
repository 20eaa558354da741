"""A JWT is verified once while it is valid: the cache of verified tokens in bindings/auth.py."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bindings import auth
from functions.settings import Settings

KEY = "k" * 32


@pytest.fixture
def decodes(monkeypatch):
    """How many times PyJWT was asked to verify a token."""
    calls = []
    real = auth._decode

    def counted(token, key, settings):
        calls.append(token)
        return real(token, key, settings)

    monkeypatch.setattr(auth, "_decode", counted)
    return calls


def _bearer(user="alice", ttl=timedelta(hours=1), key=KEY):
    return "Bearer " + auth.issue(key, Settings(), user, ttl=ttl)


def test_a_token_is_verified_once_while_it_is_valid(decodes):
    cache, header = auth.VerifiedTokens(), _bearer()
    users = [auth.verify(header, KEY, Settings(), cache) for _ in range(5)]
    assert {u.id for u in users} == {"alice"}
    assert len(decodes) == 1


def test_a_token_is_kept_no_longer_than_it_verifies(decodes):
    now = [0.0]
    cache = auth.VerifiedTokens(clock=lambda: now[0])
    header = _bearer(ttl=timedelta(minutes=5))
    exp = auth.load_verifier().decode(header.split()[1], options={"verify_signature": False})["exp"]
    auth.verify(header, KEY, Settings(), cache)
    now[0] = exp + 29  # PyJWT still accepts it, with its 30 s leeway: so does the cache
    auth.verify(header, KEY, Settings(), cache)
    assert len(decodes) == 1
    now[0] = exp + 30  # beyond: verified again (PyJWT decides, by the real clock)
    auth.verify(header, KEY, Settings(), cache)
    assert len(decodes) == 2


def test_a_refused_token_is_never_kept(decodes):
    cache = auth.VerifiedTokens()
    forged = _bearer(key="x" * 32)
    for _ in range(2):
        with pytest.raises(auth.Unauthorized):
            auth.verify(forged, KEY, Settings(), cache)
    assert len(decodes) == 2 and len(cache) == 0


def test_a_new_signing_key_verifies_every_token_again(decodes):
    cache, header = auth.VerifiedTokens(), _bearer()
    auth.verify(header, KEY, Settings(), cache)
    with pytest.raises(auth.Unauthorized):
        auth.verify(header, "n" * 32, Settings(), cache)  # rotated: the old signature no longer holds
    assert len(decodes) == 2


def test_the_cache_is_bounded_and_drops_the_least_recently_used(decodes):
    cache = auth.VerifiedTokens(size=2)
    a, b, c = _bearer("a"), _bearer("b"), _bearer("c")
    for header in (a, b, a, c):  # c pushes out b, the least recently used
        auth.verify(header, KEY, Settings(), cache)
    assert len(cache) == 2 and len(decodes) == 3
    auth.verify(a, KEY, Settings(), cache)
    auth.verify(b, KEY, Settings(), cache)
    assert len(decodes) == 4  # only b was verified again
