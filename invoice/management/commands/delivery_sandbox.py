"""Receivers to try delivery with from `make run`: a webhook receiver and an SFTP server on this
machine (docs/delivery.md, "Trying it from make run"). Not for production."""
from __future__ import annotations

import json
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from invoice.delivery.channels.webhook import verify
from invoice.delivery.sandbox import SftpServer, WebhookReceiver


class Command(BaseCommand):
    help = "Run a webhook receiver and an SFTP server on 127.0.0.1 to try delivery with (Ctrl-C stops)."

    def add_arguments(self, parser):
        parser.add_argument("--webhook-port", type=int, default=8025)
        parser.add_argument("--sftp-port", type=int, default=8022)
        parser.add_argument("--secret", default="", help="the endpoint's whsec_… secret: check each signature")
        parser.add_argument("--root", default=str(Path(settings.VAR_DIR) / "sandbox"),
                            help="folder of the SFTP files and of the server's host key")

    def handle(self, *args, webhook_port, sftp_port, secret, root, **options):
        import asyncssh

        root = Path(root)
        root.mkdir(parents=True, exist_ok=True)
        key_file = root / "ssh_host_ed25519_key"
        if not key_file.exists():
            key_file.write_bytes(asyncssh.generate_private_key("ssh-ed25519").export_private_key())
            key_file.chmod(0o600)
        host_key = asyncssh.read_private_key(str(key_file))

        def show(received):
            checked = verify(secret, received.headers, received.body) if secret else None
            verdict = {True: "signature OK", False: "SIGNATURE INVALID", None: "signature not checked (--secret)"}
            self.stdout.write(f"webhook {received.headers.get('webhook-id')} → {received.status}, {verdict[checked]}")
            self.stdout.write("  " + json.dumps(json.loads(received.body), ensure_ascii=False)[:2000])

        with WebhookReceiver(port=webhook_port, on_receive=show) as receiver, \
                SftpServer(root / "sftp", user="molink", password="molink-sandbox", port=sftp_port,
                           host_key=host_key) as sftp:
            self.stdout.write(f"webhook receiver: {receiver.url}")
            self.stdout.write(f"SFTP server: 127.0.0.1:{sftp.port}, user molink, password molink-sandbox, "
                              f"files in {sftp.root}")
            self.stdout.write(f"SFTP host key (hostKey): {sftp.host_key_line}")
            try:
                while True:
                    time.sleep(1)
            except KeyboardInterrupt:
                self.stdout.write("stopped")
