"""Background entry points (thin): the outbox does the work."""

from django_tasks import task

from . import delivery


@task()
def deliver_email(delivery_id: int) -> str:
    return delivery.deliver(delivery_id)
