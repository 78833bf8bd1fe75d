"""Who receives a client's invoices: its billing contact, else its first contact."""

import pytest

from facturier.clients.models import Client, Contact

pytestmark = pytest.mark.django_db


def test_the_billing_contact_else_the_first_by_name(firm, make_client, django_assert_num_queries):
    client = Client.objects.create(
        firm=firm, name="Sans contact", address_line1="1 rue", postal_code="75001", city="Paris"
    )
    assert client.billing_contact is None
    Contact.objects.create(client=client, name="Zoé", email="zoe@client.example")
    Contact.objects.create(client=client, name="Aaron", email="aaron@client.example")
    assert client.billing_contact.name == "Aaron"
    Contact.objects.create(client=client, name="Paie", email="p@client.example", is_billing=True)
    with django_assert_num_queries(1):
        contact = client.billing_contact
        assert contact.name == "Paie" and contact.client is client  # no query for it
    prefetched = Client.objects.prefetch_related("contacts").get(pk=client.pk)
    with django_assert_num_queries(0):
        assert prefetched.billing_contact.name == "Paie"
    assert make_client(firm, "Autre").billing_contact.name == "Compta"  # each client its own
