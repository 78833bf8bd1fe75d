"""tests/ mirrors src/: each app of the facturier package has its folder of tests."""

from pathlib import Path

import facturier

SOURCE = Path(facturier.__file__).parent
TESTS = Path(__file__).parent


def apps() -> list[str]:
    """The packages of facturier (folders with an __init__.py): templates, static files
    and translations are not apps."""
    return sorted(p.parent.name for p in SOURCE.glob("*/__init__.py"))


def test_every_app_has_a_folder_of_tests():
    assert {"core", "firms", "access", "invoicing", "web"} <= set(apps())
    missing = [
        app
        for app in apps()
        if not (TESTS / app / "__init__.py").is_file() or not any((TESTS / app).glob("test_*.py"))
    ]
    assert missing == [], f"apps without tests/<app>/test_*.py: {missing}"
