"""A stand-in for the AWS calls of lib/addons/cleanup/cleanup.py, with the boto3 method names.

Reads a world as JSON on stdin, runs clean_up against it with a fake clock, and prints the report,
the calls made in order, and what is left of the world.
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib", "addons", "cleanup"))
import cleanup  # noqa: E402


class ClientError(Exception):
    def __init__(self, code):
        super().__init__(code)
        self.response = {"Error": {"Code": code}}


class World:
    def __init__(self, data):
        self.lbs = data.get("loadBalancers", [])  # {arn, vpc, tags, interfacePolls}
        self.tgs = data.get("targetGroups", [])  # {arn, vpc, tags}
        self.classic = data.get("classic", [])  # {name, vpc, tags, interfacePolls}
        self.groups = data.get("securityGroups", [])  # {id, name, vpc, tags, referencedBy: [id]}
        self.volumes = data.get("volumes", [])  # {id, state, tags}
        self.instances = data.get("instances", [])  # {id, state, tags, terminatedAtSecond}
        self.snapshots = data.get("snapshots", [])  # {id, tags, inUse}
        self.vanish = set(data.get("vanishBeforeDelete", []))  # deleted by someone else meanwhile
        self.interfaces = []  # [description, polls left]
        self.calls = []
        self.clock = None  # the fake clock, by which instances that are going are terminated


def _tags(tags):
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def _match(tags, filters):
    for f in filters:
        if f["Name"].startswith("tag:") and tags.get(f["Name"][4:]) not in f["Values"]:
            return False
    return True


class Elbv2:
    def __init__(self, w):
        self.w = w

    def describe_load_balancers(self, **_):
        return {"LoadBalancers": [{"LoadBalancerArn": lb["arn"], "VpcId": lb["vpc"]} for lb in self.w.lbs]}

    def describe_target_groups(self, **_):
        return {"TargetGroups": [{"TargetGroupArn": tg["arn"], "VpcId": tg["vpc"]} for tg in self.w.tgs]}

    def describe_tags(self, ResourceArns):
        assert len(ResourceArns) <= 20
        found = [x for x in self.w.lbs + self.w.tgs if x["arn"] in ResourceArns]
        return {"TagDescriptions": [{"ResourceArn": x["arn"], "Tags": _tags(x["tags"])} for x in found]}

    def delete_load_balancer(self, LoadBalancerArn):
        self.w.calls.append("delete_load_balancer " + LoadBalancerArn)
        lb = _take(self.w, self.w.lbs, "arn", LoadBalancerArn, "LoadBalancerNotFound")
        self.w.interfaces.append(["ELB " + LoadBalancerArn.split(":loadbalancer/")[1], lb.get("interfacePolls", 0)])

    def delete_target_group(self, TargetGroupArn):
        self.w.calls.append("delete_target_group " + TargetGroupArn)
        _take(self.w, self.w.tgs, "arn", TargetGroupArn, "TargetGroupNotFound")


class Elb:
    def __init__(self, w):
        self.w = w

    def describe_load_balancers(self, **_):
        return {"LoadBalancerDescriptions": [{"LoadBalancerName": lb["name"], "VPCId": lb["vpc"]} for lb in self.w.classic]}

    def describe_tags(self, LoadBalancerNames):
        found = [x for x in self.w.classic if x["name"] in LoadBalancerNames]
        return {"TagDescriptions": [{"LoadBalancerName": x["name"], "Tags": _tags(x["tags"])} for x in found]}

    def delete_load_balancer(self, LoadBalancerName):
        self.w.calls.append("delete_classic_load_balancer " + LoadBalancerName)
        lb = _take(self.w, self.w.classic, "name", LoadBalancerName, "LoadBalancerNotFound")
        self.w.interfaces.append(["ELB " + LoadBalancerName, lb.get("interfacePolls", 0)])


class Ec2:
    def __init__(self, w):
        self.w = w

    def describe_instances(self, Filters):
        for i in self.w.instances:
            # An instance that is going: terminated once the clock reaches this second.
            if "terminatedAtSecond" in i and self.w.clock.now() >= i["terminatedAtSecond"]:
                i["state"] = "terminated"
        states = [f for f in Filters if f["Name"] == "instance-state-name"][0]["Values"]
        found = [i for i in self.w.instances if i["state"] in states and _match(i["tags"], Filters)]
        self.w.calls.append("describe_instances %s -> %s" % (",".join(sorted(f["Name"] for f in Filters)), ",".join(i["id"] for i in found) or "none"))
        return {"Reservations": [{"Instances": [{"InstanceId": i["id"], "State": {"Name": i["state"]}}]} for i in found]}

    def describe_snapshots(self, OwnerIds, Filters):
        assert OwnerIds == ["self"]
        return {"Snapshots": [{"SnapshotId": x["id"]} for x in self.w.snapshots if _match(x["tags"], Filters)]}

    def delete_snapshot(self, SnapshotId):
        self.w.calls.append("delete_snapshot " + SnapshotId)
        if any(x["id"] == SnapshotId and x.get("inUse") for x in self.w.snapshots):
            raise ClientError("InvalidSnapshot.InUse")
        _take(self.w, self.w.snapshots, "id", SnapshotId, "InvalidSnapshot.NotFound")

    def describe_network_interfaces(self, Filters):
        description = [f for f in Filters if f["Name"] == "description"][0]["Values"][0]
        found = [i for i in self.w.interfaces if i[0] == description and i[1] > 0]
        for i in found:
            i[1] -= 1  # AWS releases the interface a little later
        self.w.calls.append("describe_network_interfaces %s -> %d" % (description, len(found)))
        return {"NetworkInterfaces": [{"Description": i[0]} for i in found]}

    def describe_security_groups(self, Filters=None, GroupIds=None):
        if GroupIds is not None:
            chosen = [g for g in self.w.groups if g["id"] in GroupIds]
        else:
            vpc = [f for f in Filters if f["Name"] == "vpc-id"][0]["Values"]
            chosen = [g for g in self.w.groups if g["vpc"] in vpc and _match(g["tags"], Filters)]
        return {"SecurityGroups": [{
            "GroupId": g["id"], "GroupName": g["name"], "Tags": _tags(g["tags"]),
            "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "UserIdGroupPairs": [{"GroupId": r, "UserId": "1"}]}
                              for r in g.get("references", [])],
        } for g in chosen]}

    def revoke_security_group_ingress(self, GroupId, IpPermissions):
        self.w.calls.append("revoke %s %s" % (GroupId, ",".join(p["GroupId"] for p in IpPermissions[0]["UserIdGroupPairs"])))
        group = [g for g in self.w.groups if g["id"] == GroupId][0]
        revoked = {p["GroupId"] for p in IpPermissions[0]["UserIdGroupPairs"]}
        group["references"] = [r for r in group.get("references", []) if r not in revoked]

    def delete_security_group(self, GroupId):
        self.w.calls.append("delete_security_group " + GroupId)
        if any(GroupId in g.get("references", []) for g in self.w.groups) or any(i[1] > 0 for i in self.w.interfaces):
            raise ClientError("DependencyViolation")
        _take(self.w, self.w.groups, "id", GroupId, "InvalidGroup.NotFound")

    def describe_volumes(self, Filters):
        return {"Volumes": [{"VolumeId": v["id"], "State": v["state"]} for v in self.w.volumes if _match(v["tags"], Filters)]}

    def delete_volume(self, VolumeId):
        self.w.calls.append("delete_volume " + VolumeId)
        _take(self.w, self.w.volumes, "id", VolumeId, "InvalidVolume.NotFound")


def _take(world, items, key, value, not_found):
    if value in world.vanish:
        world.vanish.discard(value)
        for item in [i for i in items if i[key] == value]:
            items.remove(item)
        raise ClientError(not_found)
    found = [i for i in items if i[key] == value]
    if not found:
        raise ClientError(not_found)
    items.remove(found[0])
    return found[0]


class FakeClock:
    def __init__(self):
        self.t = 0

    def now(self):
        return self.t

    def sleep(self, seconds):
        self.t += seconds


if __name__ == "__main__":
    scenario = json.load(sys.stdin)
    world = World(scenario["world"])
    clock = FakeClock()
    world.clock = clock
    report = cleanup.clean_up({"elbv2": Elbv2(world), "elb": Elb(world), "ec2": Ec2(world)},
                              scenario["clusterName"], scenario["vpcId"], scenario["ourGroupIds"], clock=clock,
                              wait_seconds=scenario.get("waitSeconds", cleanup.BUDGET_SECONDS),
                              remove_snapshots=scenario.get("removeSnapshots", False))
    json.dump({"report": report, "calls": world.calls, "seconds": clock.t,
               "left": {"loadBalancers": [x["arn"] for x in world.lbs], "targetGroups": [x["arn"] for x in world.tgs],
                        "classic": [x["name"] for x in world.classic], "securityGroups": [x["id"] for x in world.groups],
                        "volumes": [x["id"] for x in world.volumes], "snapshots": [x["id"] for x in world.snapshots]},
               "message": cleanup.failure_message(scenario["clusterName"], report)}, sys.stdout)
