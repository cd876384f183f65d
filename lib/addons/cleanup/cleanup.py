"""Removes what Kubernetes made in AWS for one cluster, so that the cluster's VPC can be deleted.

Terraform invokes the Lambda handler with `tf.action` set to create, update or delete; only delete
does anything. By then the nodes (and with them the cloud controller manager, which would recreate
what is removed) are gone, and the VPC, the subnets and the node security groups still exist.

Only resources tagged `kubernetes.io/cluster/<cluster>=owned` are touched. The cleanup logic takes
its AWS clients as arguments (boto3 method names), so that it runs against stand-ins in tests;
boto3 is imported by the handler only.
"""

import time

# How long to wait for a deleted load balancer's network interfaces to go, and for a security
# group to stop being in use. Both take a minute or two; the function's own timeout is 15 minutes.
WAIT_SECONDS = 600
POLL_SECONDS = 10

# Error codes that mean the resource is already gone.
NOT_FOUND = {
    "LoadBalancerNotFound", "AccessPointNotFound", "TargetGroupNotFound",
    "InvalidGroup.NotFound", "InvalidGroupId.NotFound", "InvalidVolume.NotFound",
    "InvalidPermission.NotFound",
}
# Error codes that mean the resource is still in use and may be free soon.
IN_USE = {"DependencyViolation", "ResourceInUse", "VolumeInUse"}

# The cloud controller manager names the security groups it makes `k8s-elb-<load balancer>`.
CCM_GROUP_PREFIX = "k8s-elb-"
# ...and tags its load balancers and target groups with the Service they serve.
SERVICE_TAG = "kubernetes.io/service-name"


class Clock:
    def now(self):
        return time.monotonic()

    def sleep(self, seconds):
        time.sleep(seconds)


def error_code(error):
    """The AWS error code of a botocore ClientError (or a stand-in with the same shape)."""
    return getattr(error, "response", {}).get("Error", {}).get("Code", "")


def clean_up(clients, cluster_name, vpc_id, our_group_ids, clock=None, wait_seconds=WAIT_SECONDS):
    """Deletes the cluster's load balancers, target groups, CCM security groups and available
    volumes, in that order, and returns what was removed, already gone, or left and why."""
    clock = clock or Clock()
    tag_key = "kubernetes.io/cluster/" + cluster_name
    ours = set(our_group_ids)
    report = {"removed": [], "gone": [], "left": []}
    deadline = clock.now() + wait_seconds

    # 0. Only once the cluster's nodes are gone. Terraform also deletes the invocation (and so runs
    #    this) when the cleanup is turned off on a live cluster: then its load balancers and the
    #    volumes of its claims must stay.
    alive = [i["InstanceId"] for r in _pages(clients["ec2"], "describe_instances", "Reservations", "NextToken",
                                             Filters=[{"Name": "tag:" + tag_key, "Values": ["owned"]},
                                                      {"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]}])
             for i in r.get("Instances", [])]
    if alive:
        report["left"].append({"resource": "all", "reason": "the cluster's instances are still there: " + ", ".join(sorted(alive)), "failed": False})
        return report

    def attempt(kind, ident, call, retry=False):
        """Runs a delete; tolerates NotFound; retries while in use (until the deadline) if asked."""
        while True:
            try:
                call()
                report["removed"].append(kind + " " + ident)
                return True
            except Exception as error:  # botocore's ClientError; its class comes with boto3
                code = error_code(error)
                if code in NOT_FOUND:
                    report["gone"].append(kind + " " + ident)
                    return True
                if retry and code in IN_USE and clock.now() < deadline:
                    clock.sleep(POLL_SECONDS)
                    continue
                report["left"].append({"resource": kind + " " + ident, "reason": code or str(error), "failed": True})
                return False

    # 1. Load balancers the CCM made (tagged owned and with the Service they serve; the API load
    #    balancers of a highly available control plane carry no Service tag and stay).
    interface_descriptions = []
    for arn in _owned_elbv2(clients["elbv2"], "describe_load_balancers", "LoadBalancers", "LoadBalancerArn", vpc_id, tag_key):
        if attempt("load-balancer", arn, lambda: clients["elbv2"].delete_load_balancer(LoadBalancerArn=arn)):
            # net/<name>/<id> or app/<name>/<id>: what AWS writes into its interfaces' description.
            interface_descriptions.append("ELB " + arn.split(":loadbalancer/", 1)[1])
    for name in _owned_classic(clients["elb"], vpc_id, tag_key):
        if attempt("classic-load-balancer", name, lambda: clients["elb"].delete_load_balancer(LoadBalancerName=name)):
            interface_descriptions.append("ELB " + name)

    # 2. Their network interfaces hold the security groups; wait until AWS has released them.
    for description in interface_descriptions:
        while _interfaces(clients["ec2"], vpc_id, description):
            if clock.now() >= deadline:
                report["left"].append({"resource": "network-interfaces " + description, "reason": "still present after waiting", "failed": True})
                break
            clock.sleep(POLL_SECONDS)

    # 3. Target groups (they can go once no listener uses them).
    for arn in _owned_elbv2(clients["elbv2"], "describe_target_groups", "TargetGroups", "TargetGroupArn", vpc_id, tag_key):
        attempt("target-group", arn, lambda: clients["elbv2"].delete_target_group(TargetGroupArn=arn), retry=True)

    # 4. Security groups the CCM made: first the rules that reference them from our node groups
    #    (otherwise they are "in use"), then the groups.
    groups = [g for g in _pages(clients["ec2"], "describe_security_groups", "SecurityGroups", "NextToken",
                                Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "tag:" + tag_key, "Values": ["owned"]}])
              if g["GroupId"] not in ours and g.get("GroupName", "").startswith(CCM_GROUP_PREFIX)]
    ccm_ids = {g["GroupId"] for g in groups}
    if ccm_ids and ours:
        for group in clients["ec2"].describe_security_groups(GroupIds=sorted(ours)).get("SecurityGroups", []):
            for permission in group.get("IpPermissions", []):
                pairs = [p for p in permission.get("UserIdGroupPairs", []) if p.get("GroupId") in ccm_ids]
                if pairs:
                    rule = {k: v for k, v in permission.items() if k in ("IpProtocol", "FromPort", "ToPort")}
                    rule["UserIdGroupPairs"] = [{"GroupId": p["GroupId"]} for p in pairs]
                    attempt("ingress-rule", group["GroupId"] + "<-" + ",".join(p["GroupId"] for p in pairs),
                            lambda: clients["ec2"].revoke_security_group_ingress(GroupId=group["GroupId"], IpPermissions=[rule]))
    for group in groups:
        attempt("security-group", group["GroupId"], lambda: clients["ec2"].delete_security_group(GroupId=group["GroupId"]), retry=True)

    # 5. Volumes the EBS CSI driver made whose claims outlived the cluster. Attached ones are left:
    #    they belong to an instance that is not the cluster's.
    for volume in _pages(clients["ec2"], "describe_volumes", "Volumes", "NextToken",
                         Filters=[{"Name": "tag:" + tag_key, "Values": ["owned"]}]):
        if volume.get("State") == "available":
            attempt("volume", volume["VolumeId"], lambda: clients["ec2"].delete_volume(VolumeId=volume["VolumeId"]))
        else:
            report["left"].append({"resource": "volume " + volume["VolumeId"], "reason": "state " + str(volume.get("State")), "failed": False})
    return report


def _pages(client, method, key, token_name, **kwargs):
    """Every item of a paginated describe call (EC2 uses NextToken, ELB Marker/NextMarker)."""
    items, token = [], None
    while True:
        args = dict(kwargs)
        if token:
            args["Marker" if token_name == "NextMarker" else token_name] = token
        page = getattr(client, method)(**args)
        items.extend(page.get(key, []))
        token = page.get(token_name)
        if not token:
            return items


def _owned_elbv2(client, method, key, arn_key, vpc_id, tag_key):
    """ARNs of load balancers or target groups in the VPC tagged owned by the cluster and for a Service."""
    arns = [item[arn_key] for item in _pages(client, method, key, "NextMarker") if item.get("VpcId") == vpc_id]
    owned = []
    for i in range(0, len(arns), 20):  # DescribeTags takes at most 20 resources
        for description in client.describe_tags(ResourceArns=arns[i:i + 20]).get("TagDescriptions", []):
            if _tagged(description.get("Tags", []), tag_key):
                owned.append(description["ResourceArn"])
    return sorted(owned)


def _owned_classic(client, vpc_id, tag_key):
    names = [lb["LoadBalancerName"] for lb in _pages(client, "describe_load_balancers", "LoadBalancerDescriptions", "NextMarker")
             if lb.get("VPCId") == vpc_id]
    owned = []
    for i in range(0, len(names), 20):
        for description in client.describe_tags(LoadBalancerNames=names[i:i + 20]).get("TagDescriptions", []):
            if _tagged(description.get("Tags", []), tag_key):
                owned.append(description["LoadBalancerName"])
    return sorted(owned)


def _tagged(tags, tag_key):
    values = {t["Key"]: t.get("Value") for t in tags}
    return values.get(tag_key) == "owned" and SERVICE_TAG in values


def _interfaces(ec2, vpc_id, description):
    return ec2.describe_network_interfaces(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "description", "Values": [description]}]
    ).get("NetworkInterfaces", [])


def handler(event, context):
    """The Lambda entry point: `aws_lambda_invocation` sends its input plus `tf.action`."""
    action = event.get("tf", {}).get("action")
    if action != "delete":
        return {"action": action, "skipped": True}
    import boto3  # in the Lambda runtime; the logic above does not need it

    clients = {name: boto3.client(name) for name in ("elbv2", "elb", "ec2")}
    report = clean_up(clients, event["clusterName"], event["vpcId"], event["securityGroupIds"])
    print(report)
    failed = [item for item in report["left"] if item["failed"]]
    if failed:
        # Fail the destroy here, naming what is left, rather than later at the VPC with less to go on.
        raise RuntimeError("left behind: %s" % failed)
    return report
