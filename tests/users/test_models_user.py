from __future__ import annotations

import pytest
from django.db import IntegrityError

from yoppy.users.models import User


def test_users_log_in_with_their_email_and_have_no_username(db):
    user = User.objects.create_user(email="Maya@Example.COM", password="s3cret-pass")
    assert user.email == "maya@example.com"
    assert User.USERNAME_FIELD == "email"
    assert not hasattr(user, "username") or user.username is None


def test_an_email_cannot_be_registered_twice_in_another_case(db):
    User.objects.create_user(email="maya@example.com", password="x")
    with pytest.raises(IntegrityError):
        User.objects.create(email="MAYA@example.com")


def test_a_superuser_is_staff(db):
    admin = User.objects.create_superuser(email="ops@example.com", password="x")
    assert admin.is_staff and admin.is_superuser
