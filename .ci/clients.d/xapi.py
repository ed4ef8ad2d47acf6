"""xAPI statements from a real LRS client: Rustici's `tincan` package sends statements with
an API client's id and secret (HTTP Basic), and Pathway must turn `completed` and `passed`
into completions, keep `failed` without one, answer reads and queries, withdraw a completion
when its statement is voided, and refuse a wrong secret.

Usage: python xapi.py BASE_URL CLIENT_ID CLIENT_SECRET ADMIN_TOKEN LEARNER_EMAIL LEARNER_REF
       ACTIVITY_ID HOME_PAGE"""
import json
import sys
import urllib.request

from tincan import (Activity, Agent, AgentAccount, RemoteLRS, Result, Score, Statement,
                    StatementRef, Verb)

base, client_id, secret, admin, email, ref, activity_id, home_page = sys.argv[1:9]
lrs = RemoteLRS(endpoint=f"{base}/xapi/", username=client_id, password=secret)
failures = []


def check(what, ok, detail=""):
    print(("ok   " if ok else "FAIL ") + what, detail)
    if not ok:
        failures.append(what)


def verb(name):
    return Verb(id=f"http://adlnet.gov/expapi/verbs/{name}", display={"en-GB": name})


def statement(actor, name, scaled=None):
    s = Statement(actor=actor, verb=verb(name), object=Activity(id=activity_id))
    if scaled is not None:
        s.result = Result(score=Score(scaled=scaled), completion=True)
    return s


def xapi_completions():
    request = urllib.request.Request(f"{base}/v1/learners?q={urllib.request.quote(email)}",
                                     headers={"Authorization": f"Bearer {admin}"})
    learner = json.load(urllib.request.urlopen(request))["items"][0]
    request = urllib.request.Request(f"{base}/v1/completions?learner_id={learner['id']}",
                                     headers={"Authorization": f"Bearer {admin}"})
    items = json.load(urllib.request.urlopen(request))["items"]
    return [c for c in items if (c.get("evidence") or "").startswith("xAPI statement")]


about = lrs.about()
check("about names 1.0.3", about.success and "1.0.3" in about.content.version)

by_email = Agent(name="Amira Khan", mbox=f"mailto:{email}")
by_ref = Agent(account=AgentAccount(home_page=home_page, name=ref))
saved = lrs.save_statement(statement(by_email, "completed", 0.88))
check("a completed statement is stored", saved.success, saved.data)
completed_id = saved.content.id if saved.success else None
batch = lrs.save_statements([statement(by_ref, "passed", 1.0), statement(by_email, "failed", 0.2)])
check("a batch (passed by HR reference, failed) is stored", batch.success, batch.data)

found = xapi_completions()
check("completed and passed became completions, failed did not", len(found) == 2, found)
check("the score came from result.score.scaled", sorted(c["score"] for c in found) == [88, 100], found)

read = lrs.retrieve_statement(completed_id)
check("the statement reads back", read.success and read.content.verb.id.endswith("/completed"))
query = lrs.query_statements({"verb": verb("completed"), "limit": 10})
check("a query by verb finds it", query.success and any(
    str(s.id) == str(completed_id) for s in query.content.statements))

void = Statement(actor=by_email, verb=Verb(id="http://adlnet.gov/expapi/verbs/voided"),
                 object=StatementRef(id=completed_id))
check("voiding is accepted", lrs.save_statement(void).success)
found = xapi_completions()
check("voiding withdrew its completion", [c["score"] for c in found] == [100], found)
check("the voided statement reads as voided", lrs.retrieve_voided_statement(completed_id).success)

wrong = RemoteLRS(endpoint=f"{base}/xapi/", username=client_id, password="not-the-secret")
refused = wrong.save_statement(statement(by_email, "completed", 0.5))
check("a wrong secret is refused", not refused.success and refused.response.status == 401)

if failures:
    sys.exit(f"{len(failures)} xAPI checks failed")
