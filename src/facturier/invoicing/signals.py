"""What invoicing tells the apps above it, which it may not import (e-invoicing)."""

from django.dispatch import Signal

# Sent inside the finalizing transaction, with `invoice` and `by`: a receiver that
# writes (an outbox row) writes in the same transaction, or not at all. Sent once the
# invoice passed every check and before its number is taken, so that the numbering's
# lock is held only for the invoice's own writes: `invoice.number` and its dates are
# not set yet (a receiver that needs them reads them once the transaction commits).
invoice_finalized = Signal()
