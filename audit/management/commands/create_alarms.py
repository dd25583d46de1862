from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from audit.alarms import CREATED, SKIPPED, UNCHANGED, UPDATED, apply_stage_monitoring, stage_resources


class Command(BaseCommand):
    help = ("Create or update the CloudWatch alarms, the FlightSchedulePro-Main dashboard, the Lambda log "
            "retention, API Gateway's throttling and (production) the WAF rate rule of a deployed stage. "
            "Safe to run again: what already matches is reported unchanged. "
            "Uses the AWS credentials of the shell that runs it.")

    def add_arguments(self, parser):
        parser.add_argument("--stage", required=True, help="Zappa stage, e.g. staging or production.")
        parser.add_argument("--sns-topic-arn", help="SNS topic notified when an alarm fires and when it clears.")
        parser.add_argument("--region", help="AWS region (default: the stage's aws_region in zappa_settings.json).")
        parser.add_argument("--function-name", help="Lambda function (default: <project_name>-<stage>).")
        parser.add_argument("--api-name", help="API Gateway REST API name (default: the function name).")
        parser.add_argument("--db-instance", help="RDS instance identifier (default: <project_name>-<stage>).")
        parser.add_argument("--log-retention-days", type=int,
                            help="Days to keep Lambda logs (default: the stage's log_retention_days).")
        parser.add_argument("--settings-file", default=str(Path(settings.BASE_DIR) / "zappa_settings.json"),
                            help="Zappa settings to read the stage from.")

    def handle(self, *args, **options):
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            resources = stage_resources(
                stage=options["stage"], settings_file=Path(options["settings_file"]), region=options["region"],
                function_name=options["function_name"], api_name=options["api_name"],
                db_instance=options["db_instance"], log_retention_days=options["log_retention_days"],
            )
        except KeyError as exc:
            raise CommandError(exc.args[0]) from exc
        try:
            rows = apply_stage_monitoring(resources=resources, sns_topic_arn=options["sns_topic_arn"])
        except (BotoCoreError, ClientError, ValueError) as exc:
            raise CommandError(f"CloudWatch setup for {resources.stage} failed: {exc}") from exc
        style = {CREATED: self.style.SUCCESS, UPDATED: self.style.WARNING, UNCHANGED: str, SKIPPED: self.style.NOTICE}
        for kind, name, outcome in rows:
            self.stdout.write(f"{style[outcome](f'{outcome:<9}')} {kind:<9} {name}")
        counts = {outcome: sum(1 for row in rows if row[2] == outcome)
                  for outcome in (CREATED, UPDATED, UNCHANGED, SKIPPED)}
        self.stdout.write(
            f"{resources.stage} in {resources.region}: {counts[CREATED]} created, {counts[UPDATED]} updated, "
            f"{counts[UNCHANGED]} unchanged ({len(rows) - counts[SKIPPED]} resources; log retention "
            f"{resources.log_retention_days} days)."
        )
        if counts[SKIPPED]:
            self.stdout.write(f"{counts[SKIPPED]} skipped: API Gateway has no API {resources.api_name} yet; "
                              "run this again after the first deploy.")
