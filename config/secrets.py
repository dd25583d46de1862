"""Production secrets from AWS Secrets Manager, loaded into the environment before settings read it."""

import json
import os


class SecretsUnavailable(RuntimeError):
    pass


def load_secrets_into_environment(environ=os.environ) -> list[str]:
    """Fill unset variables from the JSON secret named by `AWS_SECRETS_NAME`; return the names it set.

    Variables already in the environment win, so an operator can override one secret for a stage
    without editing the stored secret. Nothing happens when `AWS_SECRETS_NAME` is unset.
    """
    name = environ.get("AWS_SECRETS_NAME", "")
    if not name:
        return []
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    region = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    client = boto3.client("secretsmanager", region_name=region)
    try:
        response = client.get_secret_value(SecretId=name)
    except (BotoCoreError, ClientError) as exc:
        raise SecretsUnavailable(f"Could not read secret {name!r} from AWS Secrets Manager: {exc}") from exc
    try:
        values = json.loads(response["SecretString"])
    except (KeyError, TypeError, ValueError) as exc:
        raise SecretsUnavailable(f"Secret {name!r} must be a JSON object of environment variables") from exc
    if not isinstance(values, dict):
        raise SecretsUnavailable(f"Secret {name!r} must be a JSON object of environment variables")
    applied = []
    for key, value in values.items():
        if key not in environ:
            environ[key] = str(value)
            applied.append(key)
    return applied
