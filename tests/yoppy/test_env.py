from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from yoppy.env import derived_fernet_key, env_bool, env_int, env_list, env_minor_amounts, env_required


def test_env_bool_reads_the_usual_spellings(monkeypatch):
    monkeypatch.setenv("FLAG", "Yes")
    assert env_bool("FLAG") is True
    monkeypatch.setenv("FLAG", "off")
    assert env_bool("FLAG", True) is False


def test_env_bool_fails_loudly_on_anything_else(monkeypatch):
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="FLAG='maybe' is not a boolean"):
        env_bool("FLAG")


def test_env_int_fails_loudly_on_text_and_on_values_below_the_minimum(monkeypatch):
    monkeypatch.setenv("N", "ten")
    with pytest.raises(ImproperlyConfigured, match="not a whole number"):
        env_int("N")
    monkeypatch.setenv("N", "0")
    with pytest.raises(ImproperlyConfigured, match="at least 1"):
        env_int("N", minimum=1)


def test_env_list_splits_on_commas_and_drops_blanks(monkeypatch):
    monkeypatch.setenv("HOSTS", "a.example, b.example,,")
    assert env_list("HOSTS") == ["a.example", "b.example"]


def test_a_secret_has_no_default_when_debug_is_off(monkeypatch):
    monkeypatch.delenv("SOME_SECRET", raising=False)
    with pytest.raises(ImproperlyConfigured, match="SOME_SECRET must be set"):
        env_required("SOME_SECRET", default_in_debug="dev", debug=False)
    assert env_required("SOME_SECRET", default_in_debug="dev", debug=True) == "dev"


def test_an_empty_value_means_unset_not_off(monkeypatch):
    monkeypatch.setenv("FLAG", "")
    assert env_bool("FLAG", True) is True


def test_minor_amounts_are_read_per_currency(monkeypatch):
    monkeypatch.setenv("MINIMUMS", "inr:50000, USD:1000")
    assert env_minor_amounts("MINIMUMS", {}) == {"INR": 50000, "USD": 1000}
    monkeypatch.setenv("MINIMUMS", "INR=500")
    with pytest.raises(ImproperlyConfigured, match="MINIMUMS"):
        env_minor_amounts("MINIMUMS", {})


def test_a_derived_fernet_key_is_stable_and_differs_per_secret():
    from cryptography.fernet import Fernet

    key = derived_fernet_key("secret-1", purpose="field-encryption")
    assert key == derived_fernet_key("secret-1", purpose="field-encryption")
    assert key != derived_fernet_key("secret-2", purpose="field-encryption")
    Fernet(key)  # a valid key
