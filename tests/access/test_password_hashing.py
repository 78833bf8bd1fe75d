"""Passwords are stored with Argon2id at Django's parameters; a member whose password
was stored by PBKDF2 (before the change) still signs in, and leaves with Argon2id."""

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher, identify_hasher
from django.test import Client as Browser

from facturier import settings as project_settings
from facturier.firms.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def project_hashers(settings):
    """The suite hashes with MD5 for speed; these tests use what the app ships."""
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS


def test_a_new_password_is_stored_with_argon2id(project_hashers, firm, make_user):
    member = make_user("dora", firm)
    member.set_password("Soleil-de-juin-7")
    member.save()
    stored = User.objects.get(pk=member.pk).password
    assert stored.startswith("argon2$argon2id$")
    assert "m=102400,t=2" in stored  # Django's parameters, not weakened


def test_an_older_pbkdf2_password_signs_in_and_is_rehashed(project_hashers, firm, make_user):
    member = make_user("emile", firm)
    member.password = PBKDF2PasswordHasher().encode("Soleil-de-juin-7", "saltsaltsalt12")
    member.save()
    answer = Browser().post("/login/", {"username": "emile", "password": "Soleil-de-juin-7"})
    assert answer.status_code == 302 and "/login/" not in answer.headers["location"]
    assert identify_hasher(User.objects.get(pk=member.pk).password).algorithm == "argon2"


def test_a_wrong_password_against_an_older_hash_is_refused_and_kept(
    project_hashers, firm, make_user
):
    member = make_user("fanny", firm)
    older = PBKDF2PasswordHasher().encode("Soleil-de-juin-7", "saltsaltsalt12")
    member.password = older
    member.save()
    answer = Browser().post("/login/", {"username": "fanny", "password": "Pluie-de-mai-8"})
    assert answer.status_code == 200  # the form again, with its error
    assert User.objects.get(pk=member.pk).password == older
