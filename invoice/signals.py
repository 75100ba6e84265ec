"""What the invoice module tells other modules, without depending on them.

`invoice_cancelled` is sent inside the cancelling transaction, after the credit note is issued and
the invoice marked cancelled: `invoice` (the cancelled invoice), `credit_note`, `actor`. A receiver
that raises rolls the cancellation back (payment_module frees the invoice's orders for re-billing)."""
from django.dispatch import Signal

invoice_cancelled = Signal()
