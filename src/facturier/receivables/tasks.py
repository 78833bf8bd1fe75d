"""Background entry points (thin): the outbox does the work."""

from django_tasks import task


@task()
def deliver_letter(letter_id: int) -> str:
    from .deliveries import deliver

    return deliver(letter_id)
