"""SCIM provisioning checked by a real SCIM client: scim2-tester discovers what Pathway
publishes (ServiceProviderConfig, ResourceTypes, Schemas), then creates, reads, lists,
filters, replaces, patches (add, replace, remove of every attribute) and deletes Users.
Any check that ends in an error fails the run.

Usage: python scim.py BASE_URL ACCESS_TOKEN"""
import sys

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

base, token = sys.argv[1:3]
http = Client(base_url=f"{base}/scim/v2", headers={"Authorization": f"Bearer {token}"})
results = check_server(SyncSCIMClient(http))
errors = [r for r in results if r.status == Status.ERROR]
for result in results:
    print(f"{result.status.name:8} {result.title}: {result.reason or ''}".rstrip())
print(f"scim2-tester: {len(results)} checks, {len(errors)} errors")
if errors or not any(r.status == Status.SUCCESS for r in results):
    sys.exit(1)
