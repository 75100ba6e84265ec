"""What the invoice module tells other modules, without depending on them: explicit hooks, which
other apps register in their AppConfig.ready() (as they register pickers and tax rules).

- **invoice status changed** — `hook(invoice, *, old, new, actor, **context)`, called by the one
  function that records a status change (invoice.services.invoices._status_event), inside the
  changing transaction, after the invoice is saved and its event written: a hook that raises
  rolls the change back. `context` carries what the change produced (`credit_note` when an
  invoice is cancelled). payment_module frees a cancelled invoice's orders this way.

- **document status changed** — `hook(document, *, old, new)`, for a generated document
  (InvoiceDocument) that became `created` or `failed`, scheduled by the one function that changes
  a document's status (invoice.services.documents._change_status) and run **after the commit**
  of that change (never for a change that was rolled back): what happens then (sending the file,
  calling a webhook) cannot undo it, and must not be lost either — a hook that needs to is a task.
  A hook registered with `in_transaction=True` runs instead inside the changing transaction, like
  the invoice hooks: for what must be recorded with the change or not at all (delivery rows,
  whose sending is then scheduled on commit).

- **invoice overdue** — `hook(invoice, *, since)`, for an invoice the daily overdue run
  (invoice.services.overdue.flag_overdue_invoices) found overdue for the first time (`since`: the
  first day it was, the day after its due date), once per invoice and overdue spell, **after the
  commit** that recorded it (`overdue_since` and its WARNING event). The delivery module registers
  its reminder here (invoice.delivery.services.on_invoice_overdue: an `invoice.overdue` webhook and,
  when the organisation wants it, an e-mail to the buyer); a hook that sends must be a task (retries,
  dead-letter), since the run will not call it again for that invoice.

A hook is registered once (registering it again changes nothing); they run in registration order.
"""
from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

InvoiceStatusHook = Callable[..., None]
DocumentStatusHook = Callable[..., None]

_invoice_status_hooks: list[InvoiceStatusHook] = []
_document_status_hooks: list[DocumentStatusHook] = []
_document_status_hooks_in_transaction: list[DocumentStatusHook] = []
InvoiceOverdueHook = Callable[..., None]
_invoice_overdue_hooks: list[InvoiceOverdueHook] = []


def on_invoice_status_changed(hook: InvoiceStatusHook) -> InvoiceStatusHook:
    if hook not in _invoice_status_hooks:
        _invoice_status_hooks.append(hook)
    return hook


def invoice_status_changed(invoice, *, old: int, new: int, actor, **context) -> None:
    for hook in list(_invoice_status_hooks):
        hook(invoice, old=old, new=new, actor=actor, **context)


def on_document_status_changed(hook: DocumentStatusHook, *, in_transaction: bool = False) -> DocumentStatusHook:
    registry = _document_status_hooks_in_transaction if in_transaction else _document_status_hooks
    if hook not in registry:
        registry.append(hook)
    return hook


def document_status_changed(document, *, old: str, new: str) -> None:
    for hook in list(_document_status_hooks_in_transaction):
        hook(document, old=old, new=new)

    def run():
        for hook in list(_document_status_hooks):
            hook(document, old=old, new=new)

    transaction.on_commit(run)


def on_invoice_overdue(hook: InvoiceOverdueHook) -> InvoiceOverdueHook:
    if hook not in _invoice_overdue_hooks:
        _invoice_overdue_hooks.append(hook)
    return hook


def invoice_overdue(invoice, *, since) -> None:
    def run():
        for hook in list(_invoice_overdue_hooks):
            hook(invoice, since=since)

    transaction.on_commit(run)
