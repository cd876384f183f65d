"""Removes what Kubernetes made in AWS for one cluster, so that the cluster's VPC can be deleted.

Terraform invokes the Lambda handler with `tf.action` set to create, update or delete; only delete
does anything. By then Terraform has deleted the nodes (and with them the cloud controller manager,
which would recreate what is removed); worker instances may still be shutting down, so the cleanup
waits for them, and fails the destroy, saying what is left, if they do not go. The VPC, the subnets
and the node security groups still exist.

Only resources tagged `kubernetes.io/cluster/<cluster>=owned` are touched. The cleanup logic takes
its AWS clients as arguments (boto3 method names), so that it runs against stand-ins in tests;
boto3 is imported by the handler only.
"""

import time

# The function's timeout is 15 minutes (destroy-cleanup.ts). Every wait below shares one budget
# that ends a minute before it, so that the report (and the failure that names what is left) is
# always written; the wait for the nodes' instances takes at most five minutes of it.
FUNCTION_TIMEOUT_SECONDS = 900
REPORT_MARGIN_SECONDS = 60
BUDGET_SECONDS = FUNCTION_TIMEOUT_SECONDS - REPORT_MARGIN_SECONDS
INSTANCE_WAIT_SECONDS = 300
POLL_SECONDS = 10

# EC2 states of an instance that is not gone yet (all but `terminated`).
NOT_GONE = ["pending", "running", "shutting-down", "stopping", "stopped"]
# ...and of one that nobody is terminating: a control-plane node in one of these means the
# cluster is alive (Terraform deletes the control-plane instances, and waits for them to be
# terminated, before it deletes the invocation on a destroy).
ALIVE = ["pending", "running", "stopping", "stopped"]
# The tag that says which kind of node an instance is (lib/network/tags.ts, nodeRoleTagKey).
NODE_ROLE_TAG_PREFIX = "cdktf-kubeadm-cluster/"

# The EBS CSI driver (v1.64.0, pkg/driver/controller.go CreateSnapshot) tags every snapshot it
# makes `ebs.csi.aws.com/cluster=true` (pkg/cloud/cloud.go AwsEbsDriverTagKey) and, with
# `--k8s-tag-cluster-id` (the chart's controller.k8sTagClusterId, which we set to the cluster's
# name), `kubernetes.io/cluster/<cluster>=owned` (pkg/driver/constants.go).
EBS_DRIVER_TAG = "ebs.csi.aws.com/cluster"

# Error codes that mean the resource is already gone.
NOT_FOUND = {
    "LoadBalancerNotFound", "AccessPointNotFound", "TargetGroupNotFound",
    "InvalidGroup.NotFound", "InvalidGroupId.NotFound", "InvalidVolume.NotFound",
    "InvalidPermission.NotFound", "InvalidSnapshot.NotFound",
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


def clean_up(clients, cluster_name, vpc_id, our_group_ids, clock=None, wait_seconds=BUDGET_SECONDS,
             remove_snapshots=False):
    """Waits for the cluster's instances to be gone, then deletes its load balancers, target
    groups, CCM security groups, available volumes and (when asked) the EBS driver's snapshots, in
    that order, and returns what was removed, already gone, kept, or left and why. Every wait ends
    within `wait_seconds` of the start."""
    clock = clock or Clock()
    tag_key = "kubernetes.io/cluster/" + cluster_name
    ours = set(our_group_ids)
    report = {"removed": [], "gone": [], "kept": [], "left": []}
    started = clock.now()
    deadline = started + wait_seconds

    # 0. Terraform also deletes the invocation (and so runs this) when the cleanup is turned off on
    #    a live cluster: then its load balancers and the volumes of its claims must stay. A live
    #    cluster has control-plane instances that nobody is terminating.
    live = _instances(clients["ec2"], ALIVE, {tag_key: "owned", NODE_ROLE_TAG_PREFIX + cluster_name: "control-plane"})
    if live:
        report["left"].append({"resource": "all", "failed": False, "reason":
                               "the cluster is running (control-plane instances %s): nothing removed. This is "
                               "what happens when cleanUpOnDestroy is turned off on a live cluster" % ", ".join(sorted(live))})
        return report

    # 1. On a destroy, the nodes go first; worker instances may still be shutting down (or held
    #    by a termination lifecycle hook) when this runs. Their cloud controller manager could still
    #    make what is removed below, and their volumes are still attached: wait for them.
    instance_deadline = min(deadline, started + INSTANCE_WAIT_SECONDS)
    while True:
        remaining = _instances(clients["ec2"], NOT_GONE, {tag_key: "owned"}, with_state=True)
        if not remaining:
            break
        if clock.now() >= instance_deadline:
            listed = ", ".join("%s (%s)" % (ident, state) for ident, state in sorted(remaining.items()))
            report["left"].append({"resource": "instances " + listed, "failed": True, "reason":
                                   "still not terminated after %d s, so nothing was removed. Check the instances' "
                                   "termination protection, their auto scaling group's termination lifecycle hooks "
                                   "(a drain waiting for its heartbeat timeout) and instances launched outside this "
                                   "stack with the tag %s=owned; terminate them, then run the destroy again"
                                   % (int(clock.now() - started), tag_key)})
            return report
        clock.sleep(POLL_SECONDS)

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

    # 2. Load balancers the CCM made (tagged owned and with the Service they serve; the API load
    #    balancers of a highly available control plane carry no Service tag and stay).
    interface_descriptions = []
    for arn in _owned_elbv2(clients["elbv2"], "describe_load_balancers", "LoadBalancers", "LoadBalancerArn", vpc_id, tag_key):
        if attempt("load-balancer", arn, lambda: clients["elbv2"].delete_load_balancer(LoadBalancerArn=arn)):
            # net/<name>/<id> or app/<name>/<id>: what AWS writes into its interfaces' description.
            interface_descriptions.append("ELB " + arn.split(":loadbalancer/", 1)[1])
    for name in _owned_classic(clients["elb"], vpc_id, tag_key):
        if attempt("classic-load-balancer", name, lambda: clients["elb"].delete_load_balancer(LoadBalancerName=name)):
            interface_descriptions.append("ELB " + name)

    # 3. Their network interfaces hold the security groups; wait until AWS has released them.
    for description in interface_descriptions:
        while _interfaces(clients["ec2"], vpc_id, description):
            if clock.now() >= deadline:
                report["left"].append({"resource": "network-interfaces " + description, "reason": "still present after waiting", "failed": True})
                break
            clock.sleep(POLL_SECONDS)

    # 4. Target groups (they can go once no listener uses them).
    for arn in _owned_elbv2(clients["elbv2"], "describe_target_groups", "TargetGroups", "TargetGroupArn", vpc_id, tag_key):
        attempt("target-group", arn, lambda: clients["elbv2"].delete_target_group(TargetGroupArn=arn), retry=True)

    # 5. Security groups the CCM made: first the rules that reference them from our node groups
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

    # 6. Volumes the EBS CSI driver made whose claims outlived the cluster. Attached ones are left:
    #    they belong to an instance that is not the cluster's.
    for volume in _pages(clients["ec2"], "describe_volumes", "Volumes", "NextToken",
                         Filters=[{"Name": "tag:" + tag_key, "Values": ["owned"]}]):
        if volume.get("State") == "available":
            attempt("volume", volume["VolumeId"], lambda: clients["ec2"].delete_volume(VolumeId=volume["VolumeId"]))
        else:
            report["left"].append({"resource": "volume " + volume["VolumeId"], "reason": "state " + str(volume.get("State")), "failed": False})

    # 7. Snapshots the EBS CSI driver made for the cluster's VolumeSnapshots. They hold data and
    #    keep nothing else from going, so they stay unless the user asked for them to go.
    snapshots = [snapshot["SnapshotId"] for snapshot in _pages(
        clients["ec2"], "describe_snapshots", "Snapshots", "NextToken", OwnerIds=["self"],
        Filters=[{"Name": "tag:" + tag_key, "Values": ["owned"]}, {"Name": "tag:" + EBS_DRIVER_TAG, "Values": ["true"]}])]
    for snapshot_id in sorted(snapshots):
        if not remove_snapshots:
            report["kept"].append("snapshot " + snapshot_id)
            continue
        try:
            clients["ec2"].delete_snapshot(SnapshotId=snapshot_id)
            report["removed"].append("snapshot " + snapshot_id)
        except Exception as error:
            code = error_code(error)
            if code in NOT_FOUND:
                report["gone"].append("snapshot " + snapshot_id)
            elif code == "InvalidSnapshot.InUse":
                # An image registered from it: someone else's now, and it blocks nothing here.
                report["left"].append({"resource": "snapshot " + snapshot_id, "failed": False,
                                       "reason": "in use by an AMI: deregister the image, then delete the snapshot"})
            else:
                report["left"].append({"resource": "snapshot " + snapshot_id, "reason": code or str(error), "failed": True})
    return report


def _instances(ec2, states, tags, with_state=False):
    """The instances in one of `states` that carry every tag of `tags` (key: value)."""
    filters = [{"Name": "tag:" + key, "Values": [value]} for key, value in tags.items()]
    filters.append({"Name": "instance-state-name", "Values": list(states)})
    found = {i["InstanceId"]: i.get("State", {}).get("Name", "?")
             for r in _pages(ec2, "describe_instances", "Reservations", "NextToken", Filters=filters)
             for i in r.get("Instances", [])}
    return found if with_state else sorted(found)


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


def failure_message(cluster_name, report):
    """What the failed invocation says (Terraform prints it): what is left, why, and what next; or
    None when nothing failed."""
    failed = [item for item in report["left"] if item["failed"]]
    if not failed:
        return None
    lines = ["the destroy-time cleanup of %s left %d thing(s) behind:" % (cluster_name, len(failed))]
    lines += ["- %s: %s" % (item["resource"], item["reason"]) for item in failed]
    lines.append("Its log group /aws/lambda/%s-cleanup has the whole report. Once they are gone (or removed by hand), "
                 "run the destroy again: the cleanup runs again and skips what is already gone." % cluster_name)
    return "\n".join(lines)


def handler(event, context):
    """The Lambda entry point: `aws_lambda_invocation` sends its input plus `tf.action`."""
    action = event.get("tf", {}).get("action")
    if action != "delete":
        return {"action": action, "skipped": True}
    import boto3  # in the Lambda runtime; the logic above does not need it

    budget = BUDGET_SECONDS
    if context is not None and hasattr(context, "get_remaining_time_in_millis"):
        budget = min(budget, context.get_remaining_time_in_millis() / 1000 - REPORT_MARGIN_SECONDS)
    clients = {name: boto3.client(name) for name in ("elbv2", "elb", "ec2")}
    # Input held in state by an earlier release has no removeSnapshots: keep them.
    report = clean_up(clients, event["clusterName"], event["vpcId"], event["securityGroupIds"],
                      wait_seconds=budget, remove_snapshots=event.get("removeSnapshots") is True)
    print(report)
    if report["kept"]:
        print("kept %d EBS snapshot(s) the EBS CSI driver made (removeSnapshotsOnDestroy is off): %s"
              % (len(report["kept"]), ", ".join(report["kept"])))
    message = failure_message(event["clusterName"], report)
    if message:
        # Fail the destroy here, naming what is left, rather than later at the VPC with less to go on.
        raise RuntimeError(message)
    return report
