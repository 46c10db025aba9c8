"""Reads about users."""

from __future__ import annotations

from django.db.models import QuerySet

from yoppy.users.models import User


def user_list_staff() -> QuerySet[User]:
    """Operators: every active ``is_staff`` user (no admin id lives in code or settings)."""
    return User.objects.filter(is_staff=True, is_active=True).order_by("email")
