from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from facturier.privacy.retention import apply_retention


class Command(BaseCommand):
    help = (
        "Erase the former contacts (of archived clients) and former staff (deactivated) "
        "past their firm's retention period; run again, it changes nothing."
    )

    def handle(self, *args, **options) -> None:
        totals = apply_retention()
        self.stdout.write(_("Erased: %(contacts)d contacts, %(staff)d staff members.") % totals)
