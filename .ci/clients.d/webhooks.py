"""Signed completion callbacks from a real Standard Webhooks client: the `standardwebhooks`
package signs, and Pathway must record a genuine delivery once, acknowledge its replay, and
refuse a tampered body or a stale timestamp.

Usage: python webhooks.py BASE_URL PROVIDER WHSEC_SECRET LEARNER_REF COURSE_CODE"""
import json
import sys
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

from standardwebhooks.webhooks import Webhook

base, provider, secret, learner_ref, course = sys.argv[1:6]
url = f"{base}/v1/integrations/elearning/callbacks/{provider}"
webhook = Webhook(secret)


def deliver(msg_id, body, signed_at, signed_body=None):
    signature = webhook.sign(msg_id, signed_at, signed_body or body)
    request = urllib.request.Request(url, data=body.encode(), method="POST", headers={
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(signed_at.timestamp())),
        "webhook-signature": signature,
    })
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


now = datetime.now(timezone.utc)
body = json.dumps({"learner_ref": learner_ref, "course_ref": course,
                   "completed_at": now.isoformat(), "score": 81})
checks = [
    ("a tampered body is refused", deliver("msg_tampered", body.replace("81", "99"), now, body), 401, None),
    ("a stale timestamp is refused", deliver("msg_stale", body, now - timedelta(minutes=10)), 401, None),
    ("a genuine delivery is recorded", deliver("msg_genuine", body, now), 200, "recorded"),
    ("its replay has no second effect", deliver("msg_genuine", body, now), 200, "duplicate"),
]
failed = 0
for name, (status, answer), want_status, want in checks:
    ok = status == want_status and (want is None or answer.get("status") == want)
    failed += not ok
    print(("ok  " if ok else "FAIL"), name, status, answer)
sys.exit(1 if failed else 0)
