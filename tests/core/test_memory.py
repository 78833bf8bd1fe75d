"""A web worker keeps its last password hash's memory: the next sign-in's Argon2id
(100 MiB) reuses those pages instead of asking the kernel for 25,600 fresh ones."""

import platform
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(
    platform.libc_ver()[0] != "glibc", reason="the knobs are glibc's; elsewhere nothing is set"
)

SIGN_INS = textwrap.dedent(
    """
    import resource, sys
    if sys.argv[1] == "web":  # as gunicorn loads the app
        import facturier.wsgi
    else:
        from django.conf import settings
        settings.configure()
    from django.contrib.auth.hashers import get_hasher
    from facturier.core.memory import keep_hash_memory
    if sys.argv[1] == "kept":
        assert keep_hash_memory()
    hasher = get_hasher("argon2")
    encoded = hasher.encode("a password", hasher.salt())
    assert hasher.verify("a password", encoded)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    assert hasher.verify("a password", encoded)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
    """
)


def page_faults_of_second_sign_in(mode: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", SIGN_INS, mode], capture_output=True, text=True, check=True
    )
    return int(done.stdout)


def test_the_next_hash_reuses_the_last_ones_pages():
    # 100 MiB is 25,600 pages of 4 KiB; the kept heap needs a few hundred at most.
    assert page_faults_of_second_sign_in("kept") < 2_000


def test_without_it_each_hash_asks_the_kernel_again():
    assert page_faults_of_second_sign_in("default") > 20_000


def test_the_web_app_keeps_it():
    assert page_faults_of_second_sign_in("web") < 2_000
