import re

import pytest
from django.contrib.auth.models import Permission


@pytest.fixture
def admin_member(firm, make_user):
    """A member with the settings right (the firm's administrator)."""
    user = make_user("admin-cabinet", firm)
    user.email = "admin@cabinet.example"
    user.first_name, user.last_name = "Anne", "Admin"
    user.save()
    user.user_permissions.add(Permission.objects.get(codename="manage_templates"))
    return type(user).objects.get(pk=user.pk)


def link_in(message) -> str:
    """The path of the one link in an e-mail's text."""
    text = message.get_body(("plain",)).get_content()
    return re.search(r"https?://[^/\s]+(/\S+)", text).group(1)
