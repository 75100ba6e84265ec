from importlib import import_module

from django.core.management.base import BaseCommand

# Each app's demo step ("module" runs module.seed, "module:name" module.name), in order: the
# payment module adds operators, tariffs and orders; the invoice demo issues past-dated invoices to
# those operators; then one operator's last month is billed today (issue dates follow the numbers);
# last, an operator user of the portal billed by both organisations. Every step is idempotent.
DEMO_MODULES = ("core.demo", "payment_module.demo", "invoice.demo", "payment_module.demo:bill",
                "payment_module.demo:portal")


class Command(BaseCommand):
    help = "Create the demo organisations, users and data (idempotent: a second run changes nothing)."

    def handle(self, *args, **options):
        self.stdout.write("Demo data:")
        for step in DEMO_MODULES:
            name, _, function = step.partition(":")
            try:
                module = import_module(name)
            except ModuleNotFoundError as exc:
                if exc.name != name:
                    raise
                continue
            getattr(module, function or "seed")(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
