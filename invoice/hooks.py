"""What the invoice module tells other modules, without depending on them: explicit hooks, which
other apps register in their AppConfig.ready() (as they register pickers and tax rules).

- **invoice status changed** — `hook(invoice, *, old, new, actor, **context)`, called by the one
  function that records a status change (invoice.services.invoices._status_event), inside the
  changing transaction, after the invoice is saved and its event written: a hook that raises
  rolls the change back. `context` carries what the change produced (`credit_note` when an
  invoice is cancelled). payment_module frees a cancelled invoice's orders this way.

A hook is registered once (registering it again changes nothing); they run in registration order.
"""
from __future__ import annotations

from collections.abc import Callable

InvoiceStatusHook = Callable[..., None]

_invoice_status_hooks: list[InvoiceStatusHook] = []


def on_invoice_status_changed(hook: InvoiceStatusHook) -> InvoiceStatusHook:
    if hook not in _invoice_status_hooks:
        _invoice_status_hooks.append(hook)
    return hook


def invoice_status_changed(invoice, *, old: int, new: int, actor, **context) -> None:
    for hook in list(_invoice_status_hooks):
        hook(invoice, old=old, new=new, actor=actor, **context)
