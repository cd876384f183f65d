"""A stand-in EC2 for lib/network/routed/pod_routes.py, with the boto3 method names.

Reads {"tables": [...], "instances": {...}, "nodes": [...], "failOn": {...}} as JSON on stdin, runs
one reconcile pass, and prints the changes, the calls in order and the route tables afterwards.
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib", "network", "routed"))
import pod_routes  # noqa: E402


class ClientError(Exception):
    def __init__(self, code):
        super().__init__(code)
        self.response = {"Error": {"Code": code}}


class FakeEc2:
    def __init__(self, world):
        self.tables = world["tables"]  # {RouteTableId, VpcId, Tags: {k: v}, Routes: [...]}
        self.instances = world.get("instances", {})  # id -> SourceDestCheck
        self.fail_on = world.get("failOn", {})  # "create_route" -> error code, once
        self.calls = []

    def _fail(self, name):
        code = self.fail_on.pop(name, None)
        if code:
            raise ClientError(code)

    def _table(self, table_id):
        return next(t for t in self.tables if t["RouteTableId"] == table_id)

    def describe_route_tables(self, Filters, NextToken=None):
        self.calls.append(["describe_route_tables", NextToken])
        vpc = next(f["Values"][0] for f in Filters if f["Name"] == "vpc-id")
        key = next(f["Values"][0] for f in Filters if f["Name"] == "tag-key")
        matching = [t for t in self.tables if t["VpcId"] == vpc and key in t["Tags"]]
        # Two pages, to show the reconciler follows NextToken.
        if NextToken is None and len(matching) > 1:
            return {"RouteTables": [dict(t) for t in matching[:1]], "NextToken": "page-2"}
        return {"RouteTables": [dict(t) for t in (matching[1:] if NextToken else matching)]}

    def create_route(self, RouteTableId, DestinationCidrBlock, InstanceId):
        self.calls.append(["create_route", RouteTableId, DestinationCidrBlock, InstanceId])
        self._fail("create_route")
        self._table(RouteTableId)["Routes"].append({"DestinationCidrBlock": DestinationCidrBlock, "InstanceId": InstanceId, "State": "active", "Origin": "CreateRoute"})

    def replace_route(self, RouteTableId, DestinationCidrBlock, InstanceId):
        self.calls.append(["replace_route", RouteTableId, DestinationCidrBlock, InstanceId])
        for route in self._table(RouteTableId)["Routes"]:
            if route.get("DestinationCidrBlock") == DestinationCidrBlock:
                route.update({"InstanceId": InstanceId, "State": "active"})

    def delete_route(self, RouteTableId, DestinationCidrBlock):
        self.calls.append(["delete_route", RouteTableId, DestinationCidrBlock])
        self._fail("delete_route")
        table = self._table(RouteTableId)
        table["Routes"] = [r for r in table["Routes"] if r.get("DestinationCidrBlock") != DestinationCidrBlock]

    def describe_instances(self, InstanceIds):
        self.calls.append(["describe_instances", InstanceIds])
        return {"Reservations": [{"Instances": [{"InstanceId": i, "SourceDestCheck": self.instances.get(i, True)} for i in InstanceIds]}]}

    def modify_instance_attribute(self, InstanceId, SourceDestCheck):
        self.calls.append(["modify_instance_attribute", InstanceId, SourceDestCheck["Value"]])
        self.instances[InstanceId] = SourceDestCheck["Value"]


world = json.load(sys.stdin)
ec2 = FakeEc2(world)
try:
    changes = pod_routes.reconcile(ec2, world["nodes"], "kubernetes.io/cluster/demo", "vpc-1", world.get("podCidr", "10.200.0.0/16"))
    error = None
except Exception as e:  # reported, as the service logs it
    changes, error = [], str(e)
print(json.dumps({"changes": changes, "error": error, "calls": ec2.calls, "tables": {t["RouteTableId"]: sorted((r["DestinationCidrBlock"], r.get("InstanceId") or r.get("GatewayId")) for r in t["Routes"]) for t in ec2.tables}, "instances": ec2.instances}))
