from django.core.management.base import BaseCommand

from directory.plan_loader import load_plan


class Command(BaseCommand):
    help = "Load the plan's organisation (units, positions, task groups). Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument(
            "--update", action="store_true",
            help="Overwrite administrators' edits of plan rows with the plan's text.")

    def handle(self, *args, update=False, **options):
        report = load_plan(update=update)
        self.stdout.write(
            f"Plan loaded: {len(report.created)} created, {len(report.updated)} updated.")
