from importlib import import_module

from django.core.management.base import BaseCommand

# Each app's demo module, in order: the invoice demo seeds organisations that have no invoice yet,
# then the payment module adds operators, orders and one operator invoice. Every seed() is idempotent.
DEMO_MODULES = ("core.demo", "invoice.demo", "payment_module.demo")


class Command(BaseCommand):
    help = "Create the demo organisations, users and data (idempotent: a second run changes nothing)."

    def handle(self, *args, **options):
        self.stdout.write("Demo data:")
        for name in DEMO_MODULES:
            try:
                module = import_module(name)
            except ModuleNotFoundError as exc:
                if exc.name != name:
                    raise
                continue
            module.seed(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
