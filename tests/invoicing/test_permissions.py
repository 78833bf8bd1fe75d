import pytest

from facturier.invoicing import actions, permissions
from facturier.invoicing.models import Invoice
from facturier.invoicing.selectors import InvoiceFilters, invoice_list

pytestmark = pytest.mark.django_db

ALL = InvoiceFilters(statuses=frozenset({"draft", "finalized", "closed"}))


@pytest.fixture
def world(firm, make_firm, make_client, make_user, template):
    """Two firms; in ours two clients, one owned by alice and bob, one by alice only."""
    shared = make_client(firm, "Shared")
    alices = make_client(firm, "Alice's")
    other_firm = make_firm("Autre cabinet")
    foreign_client = make_client(other_firm, "Foreign")
    users = {
        "alice": make_user("alice", firm, processing=True, owns=[shared, alices]),
        "bob": make_user("bob", firm, owns=[shared]),
        "carol": make_user("carol", firm, processing=True),
        "dave": make_user("dave", firm),
        "erin": make_user("erin", other_firm, processing=True, owns=[foreign_client]),
    }
    line = [{"description": "x", "unit_price": "10"}]
    invoices = {
        "shared_draft": actions.create_draft(by=users["alice"], client=shared, lines=line),
        "alices_draft": actions.create_draft(by=users["alice"], client=alices, lines=line),
        "shared_final": actions.finalize_invoice(
            actions.create_draft(by=users["alice"], client=shared, lines=line), by=users["alice"]
        ),
        "foreign": actions.create_draft(by=users["erin"], client=foreign_client, lines=line),
    }
    return users, invoices


def test_who_sees_what(world):
    users, invoices = world
    seen = {
        name: set(invoice_list(user=user, filters=ALL).values_list("pk", flat=True))
        for name, user in users.items()
    }
    ours = {invoices[k].pk for k in ("shared_draft", "alices_draft", "shared_final")}
    assert seen["alice"] == ours
    assert seen["carol"] == ours  # processing: the whole firm
    assert seen["bob"] == {invoices["shared_draft"].pk, invoices["shared_final"].pk}
    assert seen["dave"] == set()
    assert seen["erin"] == {invoices["foreign"].pk}  # never another firm's invoices


def test_each_can_agrees_with_the_visible_queryset(world):
    users, invoices = world
    for user in users.values():
        visible = set(permissions.visible_invoices(user).values_list("pk", flat=True))
        for invoice in Invoice.objects.all():
            assert permissions.can_view(user, invoice) == (invoice.pk in visible)
            # Acting needs seeing: no right on what the user cannot see.
            for name in permissions.RULES:
                if permissions.may(name, user, invoice):
                    assert invoice.pk in visible


def test_rights_table(world):
    users, invoices = world
    draft, final = invoices["shared_draft"], invoices["shared_final"]
    table = {
        name: (
            permissions.may("edit", u, draft),
            permissions.may("finalize", u, draft),
            permissions.may("send", u, final),
            permissions.may("close", u, final),
        )
        for name, u in users.items()
    }
    assert table == {
        "alice": (True, True, True, True),
        "bob": (False, False, False, False),
        "carol": (False, False, False, True),
        "dave": (False, False, False, False),
        "erin": (False, False, False, False),
    }


def test_a_user_without_a_firm_sees_nothing(world, django_user_model):
    root = django_user_model.objects.create_superuser("root", password="x")
    assert not invoice_list(user=root, filters=ALL).exists()


def test_anonymous_sees_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    assert not permissions.visible_invoices(AnonymousUser()).exists()


def test_owners_without_processing_do_not_see_closed_invoices(world):
    users, invoices = world
    actions.close_invoice(invoices["shared_final"], by=users["alice"])
    closed = Invoice.objects.get(pk=invoices["shared_final"].pk)
    assert not permissions.can_view(users["bob"], closed)
    assert closed.pk not in set(
        invoice_list(user=users["bob"], filters=ALL).values_list("pk", flat=True)
    )
    assert permissions.can_view(users["carol"], closed)


@pytest.mark.parametrize(
    "user, lacks",
    [
        ("bob", "You lack the processing permission."),
        ("carol", "You are not an owner of this client."),
    ],
)
def test_a_refusal_says_what_the_user_lacks(world, user, lacks):
    users, invoices = world
    refusal = permissions.refusal("finalize", users[user], invoices["shared_draft"])
    assert refusal.code == "not_allowed" and refusal.message == lacks


def test_a_stored_pdf_is_read_by_whoever_sees_its_invoice_and_no_one_else(world, make_user, firm):
    """stored_pdf decides visibility from what its one query reads (the status, whether
    the user owns the client) and the processing permission: the same answer as
    visible_invoices for every user, a group's permission and a superuser included,
    on an open and a closed invoice."""
    from django.contrib.auth.models import Group, Permission

    from facturier.firms.models import User
    from facturier.invoicing.selectors import stored_pdf

    users, invoices = world
    alice = users["alice"]
    closed = actions.close_invoice(
        actions.finalize_invoice(
            actions.create_draft(
                by=alice,
                client=invoices["shared_draft"].client,
                lines=[{"description": "y", "unit_price": "10"}],
            ),
            by=alice,
        ),
        by=alice,
    )
    issued = [invoices["shared_final"], closed]
    for invoice in issued:
        actions.pdf_for(invoice)  # stored, as after finalization
    team = Group.objects.create(name="Processors")
    team.permissions.add(Permission.objects.get(codename="process_invoices"))
    make_user("grace", firm).groups.add(team)
    User.objects.create_superuser("root", password="pw-root", firm=firm)
    for user in User.objects.all():
        visible = set(permissions.visible_invoices(user).values_list("pk", flat=True))
        for invoice in issued:
            fresh = User.objects.get(pk=user.pk)  # a new request: nothing asked yet
            found = stored_pdf(user=fresh, pk=invoice.pk)
            assert (found is not None) == (invoice.pk in visible), (user.username, invoice)
            if found:
                assert found[0] == invoice.number and found[1].startswith(b"%PDF")
    assert stored_pdf(user=User.objects.get(username="bob"), pk=closed.pk) is None
    assert stored_pdf(user=User.objects.get(username="grace"), pk=closed.pk) is not None


def test_a_requests_user_comes_with_the_answers_of_the_rights_queries(
    world, make_user, firm, django_assert_num_queries
):
    """firms.backends reads the session's user with its permissions and owned clients in
    one statement: the same answers as asking them one by one (Django's has_perm, the
    owners' table), for every kind of user, and no query of their own after."""
    from django.contrib.auth.models import Group, Permission

    from facturier.clients.models import Client
    from facturier.clients.permissions import owned_client_ids
    from facturier.firms.backends import UserWithPermissions
    from facturier.firms.models import User
    from facturier.firms.permissions import holds

    users, _invoices = world
    process = Permission.objects.get(codename="process_invoices")
    manage = Permission.objects.get(codename="manage_templates")
    team = Group.objects.create(name="Processors")
    team.permissions.add(process, manage)
    grace = make_user("grace", firm)
    grace.groups.add(team)
    grace.user_permissions.add(process)  # held twice: directly and by the group
    # A client of another firm owned by one of ours: not among the clients it owns here.
    Client.objects.get(name="Foreign").owners.add(users["bob"])
    names = [
        f"{p.content_type.app_label}.{p.codename}"
        for p in Permission.objects.select_related("content_type")
    ]
    backend = UserWithPermissions()
    for user in User.objects.all():
        with django_assert_num_queries(1):
            loaded = backend.get_user(user.pk)
            held = {name for name in names if holds(loaded, name)}
            owned = owned_client_ids(loaded)
        plain = User.objects.get(pk=user.pk)
        assert held == {name for name in names if plain.has_perm(name)}, user.username
        fresh = User.objects.get(pk=user.pk)
        assert owned == owned_client_ids(fresh), user.username
    assert owned_client_ids(backend.get_user(users["bob"].pk)) == {
        Client.objects.get(name="Shared").pk
    }
    inactive = make_user("ivan", firm, processing=True)
    User.objects.filter(pk=inactive.pk).update(is_active=False)
    assert backend.get_user(inactive.pk) is None
    # A session naming no user (tampered, or the user deleted): anonymous, not an error.
    for bogus in ("x", None, 0, -1, 2**70, 10**9):
        assert backend.get_user(bogus) is None
