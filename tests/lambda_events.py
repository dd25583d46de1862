"""Events as AWS hands them to Lambda, for driving Zappa's handler in the deploy tests and the package check."""

import copy
import json
import uuid


def scheduled_event(rule_name: str) -> dict:
    """What EventBridge hands Lambda for one of Zappa's schedule rules."""
    return {
        "version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
        "account": "123456789012", "time": "2026-03-02T15:00:00Z", "region": "us-east-1",
        "resources": [f"arn:aws:events:us-east-1:123456789012:rule/{rule_name}"], "detail": {},
    }


# Recorded from API Gateway (REST API, Lambda proxy integration) for `curl https://<api>/production/health`.
HEALTH_EVENT = {
    "resource": "/{proxy+}",
    "path": "/health",
    "httpMethod": "GET",
    "headers": {
        "Accept": "*/*",
        "CloudFront-Forwarded-Proto": "https",
        "CloudFront-Is-Desktop-Viewer": "true",
        "CloudFront-Viewer-Country": "US",
        "Host": "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
        "User-Agent": "curl/8.5.0",
        "Via": "2.0 3f1c6b1d7e6a1f2b.cloudfront.net (CloudFront)",
        "X-Amz-Cf-Id": "k3mZ0C7QbD3rYt7fLzS0cU1bq1x6xj2v2Yk4QeYcO5lU1g1JcJf3jQ==",
        "X-Amzn-Trace-Id": "Root=1-65e33c1a-5f1b7a0b6e4d2c1a0f9e8d7c",
        "X-Forwarded-For": "203.0.113.10, 130.176.1.1",
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": "https",
    },
    "multiValueHeaders": {
        "Accept": ["*/*"],
        "Host": ["a1b2c3d4e5.execute-api.us-east-1.amazonaws.com"],
        "User-Agent": ["curl/8.5.0"],
        "X-Forwarded-For": ["203.0.113.10, 130.176.1.1"],
        "X-Forwarded-Port": ["443"],
        "X-Forwarded-Proto": ["https"],
    },
    "queryStringParameters": None,
    "multiValueQueryStringParameters": None,
    "pathParameters": {"proxy": "health"},
    "stageVariables": None,
    "requestContext": {
        "resourceId": "k1x2y3",
        "resourcePath": "/{proxy+}",
        "httpMethod": "GET",
        "extendedRequestId": "UZq3KFyWoAMFb2w=",
        "requestTime": "02/Mar/2026:15:00:00 +0000",
        "path": "/production/health",
        "accountId": "123456789012",
        "protocol": "HTTP/1.1",
        "stage": "production",
        "domainPrefix": "a1b2c3d4e5",
        "requestTimeEpoch": 1772463600000,
        "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        "identity": {"sourceIp": "203.0.113.10", "userAgent": "curl/8.5.0", "accountId": None, "caller": None,
                     "user": None, "userArn": None, "cognitoIdentityPoolId": None, "accessKey": None},
        "domainName": "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
        "apiId": "a1b2c3d4e5",
    },
    "body": None,
    "isBase64Encoded": False,
}


def api_event(method: str, path: str, *, body=None, headers=None) -> dict:
    """The recorded API Gateway event, for another method, path, JSON body and headers."""
    event = copy.deepcopy(HEALTH_EVENT)
    extra = {"Content-Type": "application/json", **(headers or {})} if body is not None else dict(headers or {})
    event.update(path=path, httpMethod=method, pathParameters={"proxy": path.lstrip("/")},
                 body=None if body is None else json.dumps(body))
    event["headers"].update(extra)
    event["multiValueHeaders"].update({key: [value] for key, value in extra.items()})
    event["requestContext"].update(httpMethod=method, path=f"/{event['requestContext']['stage']}{path}")
    return event
