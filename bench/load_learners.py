"""Creates N learners through the API (a realistic mix of employees and elected members) and
writes one `GET /v1/learners/{id}` URL per line, for the load generator to cycle through.

Usage: python3 load_learners.py BASE_URL TOKEN COUNT URLS_FILE
"""

import json
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor

DEPARTMENTS = ["Planning", "Finance", "Housing", "Legal", "Education", "Highways", "Public Health", "HR"]
GROUPS = ["Labour", "Conservative", "Liberal Democrat", "Green"]
COMMITTEES = ["Planning", "Licensing", "HR Appeals", "Scrutiny", "Audit"]


def body(i: int) -> dict:
    if i % 20 == 0:
        return {
            "kind": "elected_member", "given_name": f"Member{i}", "family_name": "Cllr",
            "email": f"cllr.{i}@council.example", "political_group": GROUPS[i % len(GROUPS)],
            "ward": f"Ward {i % 18}", "committees": [COMMITTEES[i % len(COMMITTEES)]],
        }
    return {
        "kind": "employee", "given_name": f"Person{i}", "family_name": "Staff",
        "email": f"person.{i}@council.example", "external_ref": f"HR-{i:06d}",
        "department": DEPARTMENTS[i % len(DEPARTMENTS)], "job_title": "Officer", "started_on": "2024-04-01",
    }


def create(base: str, token: str, i: int) -> str:
    request = urllib.request.Request(
        f"{base}/v1/learners", data=json.dumps(body(i)).encode(), method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        return json.load(response)["id"]


def main() -> None:
    base, token, count, urls_file = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(lambda i: create(base, token, i), range(count)))
    with open(urls_file, "w") as out:
        out.writelines(f"{base}/v1/learners/{learner_id}\n" for learner_id in ids)


if __name__ == "__main__":
    main()
