"""Money a bank sends back: a return in a bank file is linked to the line, recorded
as a payment, whose transfer it returns, and cancelling that payment reopens what it
paid."""

from django.utils.translation import gettext_lazy as _

from facturier.core.errors import Invalid

from .. import bank_files
from ..models import StatementLine
from .payments import delete_payment


def undo_returned_payment(line: StatementLine, *, by, at) -> None:
    """The payment recorded from the line this one returns, cancelled."""
    returned = line.returns
    if line.skip != bank_files.Skip.RETURN or returned is None or returned.payment_id is None:
        raise Invalid(
            {
                f"lines.{line.line}": [
                    _("Line %(line)d returns no payment recorded here.") % {"line": line.line}
                ]
            },
            codes={f"lines.{line.line}": ["nothing_to_undo"]},
        )
    delete_payment(returned.payment_id, by=by, now=at)
    line.state = StatementLine.State.UNDONE
    line.save(update_fields=["state"])


def returning(line, returned: dict[str, StatementLine]) -> StatementLine | None:
    """The earlier line a return sends back: same reference, same amount."""
    earlier = returned.get(line.reference) if line.skip == bank_files.Skip.RETURN else None
    if earlier is None or (earlier.amount, earlier.currency) != (-line.amount, line.currency):
        return None
    return earlier


def returned_lines(firm_id: int, fresh: list[tuple]) -> dict[str, StatementLine]:
    """The lines recorded as payments that the file's returns send back, by the
    returned transfer's reference; the latest one for each reference."""
    references = {line.reference for line, _key in fresh if line.skip == bank_files.Skip.RETURN} - {
        ""
    }
    found: dict[str, StatementLine] = {}
    for earlier in (
        StatementLine.objects.filter(
            firm_id=firm_id,
            reference__in=list(references),
            state=StatementLine.State.CONFIRMED,
            payment__isnull=False,
        )
        .select_related("invoice")
        .order_by("booked_on", "pk")
    ):
        found[earlier.reference] = earlier
    return found
