"""What invoicing tells the apps above it, which it may not import (e-invoicing)."""

from django.dispatch import Signal

# Sent inside the finalizing transaction, with `invoice` and `by`: a receiver that
# writes (an outbox row) writes in the same transaction, or not at all.
invoice_finalized = Signal()
