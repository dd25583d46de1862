"""Production secrets from AWS Secrets Manager, loaded into the environment before settings read it."""

import json
import os


class SecretsUnavailable(RuntimeError):
    pass


# Why a secret could not be read, in the words an operator needs at 3 a.m.
_HINTS = {
    "ResourceNotFoundException": "no secret has that name in this region; create it (docs/DEPLOYMENT.md, Secrets)",
    "AccessDeniedException": "the Lambda role may not read it; grant secretsmanager:GetSecretValue on its ARN",
    "DecryptionFailure": "the role may not use the secret's KMS key; grant kms:Decrypt",
}


def load_secrets_into_environment(environ=os.environ) -> list[str]:
    """Fill unset variables from the JSON secret named by `AWS_SECRETS_NAME`; return the names it set.

    Variables already in the environment win, so an operator can override one secret for a stage
    without editing the stored secret. Nothing happens when `AWS_SECRETS_NAME` is unset.
    """
    name = environ.get("AWS_SECRETS_NAME", "")
    if not name:
        return []
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    region = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    # A cold start waiting on an unreachable endpoint would eat the whole Lambda timeout: fail fast instead.
    config = Config(connect_timeout=5, read_timeout=10, retries={"max_attempts": 3, "mode": "standard"})
    client = boto3.client("secretsmanager", region_name=region, config=config)
    try:
        response = client.get_secret_value(SecretId=name)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        hint = _HINTS.get(code, "check AWS_SECRETS_NAME, the region and the Lambda role")
        raise SecretsUnavailable(
            f"Could not read secret {name!r} from AWS Secrets Manager in {region}: {code or exc} ({hint})."
        ) from exc
    except BotoCoreError as exc:
        raise SecretsUnavailable(f"Could not read secret {name!r} from AWS Secrets Manager in {region}: {exc}") from exc
    try:
        values = json.loads(response["SecretString"])
    except (KeyError, TypeError, ValueError) as exc:
        raise SecretsUnavailable(f"Secret {name!r} must be a JSON object of environment variables") from exc
    if not isinstance(values, dict):
        raise SecretsUnavailable(f"Secret {name!r} must be a JSON object of environment variables")
    applied = []
    for key, value in values.items():
        if key not in environ:
            # Numbers and booleans typed into the console come back as JSON values; settings read strings.
            environ[key] = value if isinstance(value, str) else json.dumps(value)
            applied.append(key)
    return applied
