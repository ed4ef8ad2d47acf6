"""Writes batches of xAPI statements as an e-learning platform sends them: BODIES files of 100
statements each, without ids (the LRS assigns them). In every batch 80 statements are a
learner's progress (launched, experienced, progressed, answered, failed) and 20 complete or
pass a course; the actors are employees employee0@ ... of bench/hr_rows.py, the odd ones by
email (mbox), the even ones by HR reference (an account on HOME_PAGE), every batch other people.

Usage: python3 bench/xapi_statements.py DIR BODIES EMPLOYEES HOME_PAGE ACTIVITY_ID..."""
import json
import sys

directory, bodies, employees, home_page = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
activities = sys.argv[5:]
ADL = "http://adlnet.gov/expapi/verbs/"
progress = ["launched", "experienced", "progressed", "answered", "failed"]
n = 0
for b in range(bodies):
    batch = []
    for i in range(100):
        person = n % employees
        actor = ({"objectType": "Agent", "mbox": f"mailto:employee{person}@council.gov.uk"} if person % 2
                 else {"objectType": "Agent", "account": {"homePage": home_page, "name": f"E{person:06d}"}})
        verb = progress[i % len(progress)] if i % 5 else ("completed" if i % 10 else "passed")
        statement = {
            "actor": actor,
            "verb": {"id": ADL + verb, "display": {"en-GB": verb}},
            "object": {"objectType": "Activity", "id": activities[n % len(activities)],
                       "definition": {"name": {"en-GB": "Mandatory e-learning"}}},
            "context": {"platform": "LearnPool", "language": "en-GB"},
            "timestamp": "2026-11-20T10:%02d:%02dZ" % (i % 60, n % 60),
        }
        if verb in ("completed", "passed", "failed", "answered"):
            statement["result"] = {"score": {"scaled": round((n % 100) / 100, 2)},
                                   "completion": verb != "failed", "duration": "PT12M30S"}
        batch.append(statement)
        n += 1
    with open(f"{directory}/statements-{b}.json", "w") as out:
        json.dump(batch, out)
