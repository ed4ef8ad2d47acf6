"""Writes one `GET /v1/learners/{id}/compliance` URL per line for up to COUNT active learners,
read page by page from the API, for the load generator to cycle through.

Usage: python3 learner_urls.py BASE_URL TOKEN COUNT URLS_FILE
"""

import json
import sys
import urllib.request


def main() -> None:
    base, token, count, path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    ids, cursor = [], None
    while len(ids) < count:
        url = f"{base}/v1/learners?status=active&limit=500" + (f"&cursor={cursor}" if cursor else "")
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request) as response:
            page = json.load(response)
        ids += [learner["id"] for learner in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    with open(path, "w") as urls:
        for learner_id in ids[:count]:
            urls.write(f"{base}/v1/learners/{learner_id}/compliance\n")


if __name__ == "__main__":
    main()
