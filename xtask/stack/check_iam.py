#!/usr/bin/env python3
"""Checks the local stack's SASL_SSL listener end to end with real MSK IAM clients.

Not part of the test suite: run it by hand after changing the listener, the
token validator or the certificate. It produces one message per case with
librdkafka (confluent-kafka) over SASL_SSL + OAUTHBEARER, signing tokens with
AWS's own signer (aws-msk-iam-sasl-signer-python) or, for the tokens that
signer will not make (expired, wrong scope), with the small SigV4 presigner
below, and checks that the broker accepts or refuses each one for the right
reason.

    cargo xtask stack up
    target/stack/venv/bin/pip install confluent-kafka aws-msk-iam-sasl-signer-python
    eval "$(cargo xtask stack env --sasl)"
    target/stack/venv/bin/python xtask/stack/check_iam.py

With EVENTBUS_STACK_REAUTH_MS set to a few seconds when the broker started,
`--hold SECONDS` keeps the first producer sending for that long, across
re-authentications.
"""

import argparse
import base64
import datetime
import hashlib
import hmac
import os
import sys
import time
import urllib.parse

import boto3
from aws_msk_iam_sasl_signer import MSKAuthTokenProvider
from botocore.credentials import CredentialProvider, Credentials
from confluent_kafka import KafkaError, Producer

TOPIC = "eventbus.check-iam"
ROLE_ARN = "arn:aws-us-gov:iam::123456789012:role/eventbus-producer"


class Settings:
    """What `cargo xtask stack env --sasl` exports."""

    def __init__(self):
        missing = [
            name
            for name in (
                "EB_BOOTSTRAP_SERVERS",
                "EB_SSL_CA_LOCATION",
                "AWS_REGION",
                "AWS_ACCESS_KEY_ID",
                "AWS_SECRET_ACCESS_KEY",
                "AWS_ENDPOINT_URL_STS",
            )
            if not os.environ.get(name)
        ]
        if missing or os.environ.get("EB_SECURITY_PROTOCOL") != "SASL_SSL":
            sys.exit(
                "set the SASL_SSL environment first: eval \"$(cargo xtask stack env --sasl)\""
                + (f" (missing: {', '.join(missing)})" if missing else "")
            )
        self.bootstrap_servers = os.environ["EB_BOOTSTRAP_SERVERS"]
        self.ca_location = os.environ["EB_SSL_CA_LOCATION"]
        self.region = os.environ["AWS_REGION"]
        self.access_key_id = os.environ["AWS_ACCESS_KEY_ID"]
        self.secret_access_key = os.environ["AWS_SECRET_ACCESS_KEY"]
        self.sts_endpoint = os.environ["AWS_ENDPOINT_URL_STS"]


class FixedCredentials(CredentialProvider):
    METHOD = "eventbus-check"

    def __init__(self, access_key, secret_key, token=None):
        super().__init__()
        self.credentials = Credentials(access_key, secret_key, token)

    def load(self):
        return self.credentials


def signer_token(region, access_key, secret_key, session_token=None):
    """A token from AWS's signer, as producers on MSK make them."""
    provider = FixedCredentials(access_key, secret_key, session_token)
    token, expiry_ms = MSKAuthTokenProvider.generate_auth_token_from_credentials_provider(
        region, provider
    )
    return token, expiry_ms / 1000


def presigned_token(
    region,
    access_key,
    secret_key,
    session_token=None,
    signed_at=None,
    service="kafka-cluster",
    user_agent_first=False,
):
    """A token signed here, to make the ones AWS's signer will not (SigV4 by hand)."""
    signed_at = signed_at or datetime.datetime.now(datetime.timezone.utc)
    amz_date = signed_at.strftime("%Y%m%dT%H%M%SZ")
    date = amz_date[:8]
    host = f"kafka.{region}.amazonaws.com"
    scope = f"{date}/{region}/{service}/aws4_request"
    params = {
        "Action": "kafka-cluster:Connect",
        "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
        "X-Amz-Credential": f"{access_key}/{scope}",
        "X-Amz-Date": amz_date,
        "X-Amz-Expires": "900",
        "X-Amz-SignedHeaders": "host",
    }
    if session_token:
        params["X-Amz-Security-Token"] = session_token

    def encode(text):
        return urllib.parse.quote(text, safe="-_.~")

    query = "&".join(f"{encode(k)}={encode(v)}" for k, v in sorted(params.items()))
    canonical_request = "\n".join(
        ["GET", "/", query, f"host:{host}", "", "host", hashlib.sha256(b"").hexdigest()]
    )
    string_to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical_request.encode()).hexdigest()]
    )
    key = ("AWS4" + secret_key).encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()

    user_agent = "User-Agent=eventbus-check-iam%2F1.0"
    signed = f"{query}&X-Amz-Signature={signature}"
    url = f"https://{host}/?" + (f"{user_agent}&{signed}" if user_agent_first else f"{signed}&{user_agent}")
    token = base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")
    return token, signed_at.timestamp() + 900


def produce(settings, name, make_token, hold_seconds=0):
    """Produces one message (more while holding); returns (ok, error text)."""
    errors = []
    delivered = []

    def oauth_cb(_config):
        return make_token()

    producer = Producer(
        {
            "bootstrap.servers": settings.bootstrap_servers,
            "security.protocol": "SASL_SSL",
            "sasl.mechanism": "OAUTHBEARER",
            "ssl.ca.location": settings.ca_location,
            "oauth_cb": oauth_cb,
            "error_cb": lambda error: errors.append(error),
            "client.id": f"check-iam-{name}",
            "log_level": 0,  # the outcome is printed below, once
            "message.timeout.ms": 20000,
            "reconnect.backoff.ms": 1000,
        }
    )

    def on_delivery(error, _message):
        delivered.append(error)

    deadline = time.monotonic() + 20
    producer.produce(TOPIC, value=name.encode(), on_delivery=on_delivery)
    while not delivered and time.monotonic() < deadline:
        producer.poll(0.1)
        refusals = [e for e in errors if e.code() == KafkaError._AUTHENTICATION]
        if refusals:
            producer.purge()
            return False, refusals[0].str()

    held_until = time.monotonic() + hold_seconds
    sent = 1
    while delivered and delivered[-1] is None and time.monotonic() < held_until:
        producer.produce(TOPIC, value=f"{name} {sent}".encode(), on_delivery=on_delivery)
        sent += 1
        producer.flush(10)
        time.sleep(1)
    producer.flush(5)

    failed_deliveries = [e for e in delivered if e is not None]
    ok = len(delivered) == sent and not failed_deliveries
    text = "; ".join(e.str() for e in errors + failed_deliveries) or ("no delivery" if not ok else "")
    return ok, text


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hold", type=float, default=0, help="keep the first producer sending")
    args = parser.parse_args()
    settings = Settings()
    region = settings.region
    static = (settings.access_key_id, settings.secret_access_key)

    sts = boto3.client(
        "sts",
        endpoint_url=settings.sts_endpoint,
        region_name=region,
        aws_access_key_id=settings.access_key_id,
        aws_secret_access_key=settings.secret_access_key,
    )
    assumed = sts.assume_role(RoleArn=ROLE_ARN, RoleSessionName="check-iam")["Credentials"]
    role = (assumed["AccessKeyId"], assumed["SecretAccessKey"], assumed["SessionToken"])
    long_ago = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=20)

    def expired_token():
        # librdkafka will not hand over a token it knows to be expired, so it
        # is told the token lasts another minute; only the broker can tell.
        token, _ = presigned_token(region, *static, signed_at=long_ago)
        return token, time.time() + 60

    # (name, token maker, expected reason or None for success)
    cases = [
        ("static-key", lambda: signer_token(region, *static), None),
        (
            "wrong-secret",
            lambda: signer_token(region, static[0], "wrong" + static[1]),
            "signature_mismatch",
        ),
        ("assumed-role", lambda: signer_token(region, *role), None),
        ("wrong-region", lambda: signer_token("us-east-1", *static), "wrong_region"),
        ("expired", expired_token, "expired"),
        ("wrong-service", lambda: presigned_token(region, *static, service="kafka"), "wrong_service"),
        (
            "unknown-key",
            lambda: signer_token(region, "AKIAEVENTBUSUNKNOWN1", static[1]),
            "unknown_access_key",
        ),
        (
            "other-session-token",
            lambda: signer_token(region, role[0], role[1], role[2][:-4] + "AAAA"),
            "session_token_mismatch",
        ),
        ("not-base64url", lambda: ("not+base64url", time.time() + 60), "malformed_token"),
        ("user-agent-first", lambda: presigned_token(region, *static, user_agent_first=True), None),
        ("hand-signed-role", lambda: presigned_token(region, *role), None),
    ]

    failures = 0
    for index, (name, make_token, reason) in enumerate(cases):
        started = time.monotonic()
        ok, text = produce(settings, name, make_token, args.hold if index == 0 else 0)
        took = time.monotonic() - started
        if reason is None:
            passed = ok
            outcome = "accepted" if ok else f"refused: {text}"
        else:
            passed = not ok and reason in text
            outcome = f"refused: {text}" if not ok else "accepted"
        failures += not passed
        print(f"{'ok  ' if passed else 'FAIL'} {name:<20} {took:5.1f} s  {outcome}")

    print("all cases passed" if not failures else f"{failures} case(s) failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
