import datetime

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from facturier.core.errors import DomainError
from facturier.engagements.actions import bill_due_periods


class Command(BaseCommand):
    help = (
        "Make the draft invoices of the engagements' periods come due, once each, for the "
        "clients USERNAME owns (with the processing permission)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--as-of", help="the day to bill up to (YYYY-MM-DD); today by default")

    def handle(self, *args, username, as_of=None, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None or not user.firm_id:
            raise CommandError(f"No staff member named {username!r}.")
        try:
            day = datetime.date.fromisoformat(as_of) if as_of else timezone.localdate()
        except ValueError:
            raise CommandError(f"Not a date: {as_of!r} (YYYY-MM-DD).") from None
        try:
            result = bill_due_periods(user.firm, by=user, as_of=day)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"{len(result.invoices)} draft(s), {result.periods} period(s) billed.")
        for engagement, reason in result.failures:
            self.stderr.write(f"{engagement.reference}: {reason}")
