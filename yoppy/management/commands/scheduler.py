import contextlib

from django.core.management.base import BaseCommand

from yoppy.scheduler import schedule_run_forever


class Command(BaseCommand):
    help = "Enqueue recurring jobs (yoppy.scheduler.SCHEDULE) on their RQ queues."

    def handle(self, *args, **options) -> None:
        with contextlib.suppress(KeyboardInterrupt):
            schedule_run_forever()
