"""Writes the employees of a council as HR sync bodies: FILES JSON files of ROWS employees,
every 25th a manager of the 24 after them (managers come first, in the same file).

Usage: python3 bench/hr_rows.py DIR FILES ROWS [LEAVE_OUT]
LEAVE_OUT drops that many employees from the last file, as if they had left."""
import json
import sys

directory, files, rows = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
leave_out = int(sys.argv[4]) if len(sys.argv) > 4 else 0
departments = ["Finance", "Housing", "Adult Social Care", "Highways", "Planning", "Legal", "HR", "Digital"]
n = 0
for f in range(files):
    batch = []
    for i in range(rows):
        ref = f"E{n:06d}"
        manager = None if n % 25 == 0 else f"E{n - n % 25:06d}"
        batch.append({
            "external_ref": ref, "given_name": f"Given{n}", "family_name": f"Family{n}",
            "email": f"employee{n}@council.gov.uk", "department": departments[n % len(departments)],
            "job_title": "Manager" if manager is None else "Officer", "manager_ref": manager,
            "started_on": f"20{10 + n % 15}-0{1 + n % 9}-01",
        })
        n += 1
    if f == files - 1 and leave_out:
        batch = batch[:-leave_out]
    with open(f"{directory}/batch-{f}.json", "w") as out:
        json.dump({"learners": batch}, out)
