"""The channels a delivery goes through. Each `send(delivery) -> Sent` sends one delivery once,
or raises ChannelError saying whether a retry may succeed (a timeout, a 4xx SMTP reply, an HTTP
500) or not (a refused recipient, an SFTP login refused, an unknown host key)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sent:
    provider_message_id: str
    response_status: int | None = None


class ChannelError(Exception):
    def __init__(self, code: str, message: str, *, retryable: bool, response_status: int | None = None):
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.retryable, self.response_status = code, message, retryable, response_status


def sender(channel: str):
    """The send function of a channel (imported on use: a channel's library loads only where used)."""
    from invoice.delivery.channels import email, sftp, webhook

    return {"email": email.send, "webhook": webhook.send, "sftp": sftp.send}[channel]
