from django.core.management.base import BaseCommand

from directory.demo import DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = "Create one demo account per position (embedded quick start only). Safe to rerun."

    def handle(self, *args, **options):
        accounts = load_demo()
        self.stdout.write(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
        for account in accounts:
            self.stdout.write(f"  {account.username:<11} {account.position.label}")
