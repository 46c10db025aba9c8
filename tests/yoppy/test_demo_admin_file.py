"""`make run` keeps the demo superuser's login in var/demo-admin.txt: e-mail and password both."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model

from yoppy.management.commands.up import DEMO_ADMIN_EMAIL, Command

pytestmark = pytest.mark.django_db


def _command() -> Command:
    return Command(stdout=io.StringIO())


def test_it_writes_the_email_beside_the_password_and_the_pair_logs_in(settings, tmp_path):
    settings.VAR_DIR = tmp_path

    email, password = _command()._demo_superuser()

    assert (tmp_path / "demo-admin.txt").read_text().split() == [DEMO_ADMIN_EMAIL, password]
    assert email == DEMO_ADMIN_EMAIL
    assert get_user_model().objects.get(email=email).check_password(password)


def test_it_keeps_the_password_of_an_old_password_only_file_and_adds_the_email(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    get_user_model().objects.create_superuser(email=DEMO_ADMIN_EMAIL, password="kept-secret-1")
    (tmp_path / "demo-admin.txt").write_text("kept-secret-1\n")

    email, password = _command()._demo_superuser()

    assert (email, password) == (DEMO_ADMIN_EMAIL, "kept-secret-1")
    assert (tmp_path / "demo-admin.txt").read_text().split() == [DEMO_ADMIN_EMAIL, "kept-secret-1"]


def test_a_second_run_reads_the_same_login_back(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    first = _command()._demo_superuser()

    assert _command()._demo_superuser() == first
