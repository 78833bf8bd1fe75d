"""Background entry points (thin): the outbox does the work.

Letters are not queued as tasks any more (the outbox worker finds due ones itself);
`deliver_letter` stays for the tasks an earlier version queued."""

from django_tasks import task


@task()
def deliver_letter(letter_id: int) -> str:
    from .deliveries import deliver

    return deliver(letter_id)
