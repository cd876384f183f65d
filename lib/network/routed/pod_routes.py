#!/usr/bin/python3
"""Keeps the VPC's routes to the pods: one route per node, in every route table of the cluster.

Runs on the control-plane nodes (cdktf-kubeadm-cluster, routed pod network). Each pass:
- reads the Nodes (kubectl, admin credentials): each node's spec.podCIDR and the instance id in
  its spec.providerID (aws:///<zone>/<instance-id>);
- reads the route tables of the cluster's VPC that carry the cluster tag
  (kubernetes.io/cluster/<name>, owned or shared);
- in each, creates the missing route of a node's range to its instance, replaces a route that points
  elsewhere, and deletes routes inside the pod range that no node owns (a node that went away, or a
  blackhole); routes outside the pod range are never touched;
- turns the source/destination check off on every node's instance, since it forwards packets for
  addresses that are not its own.
The AWS cloud controller manager's route controller does the same for one route table only
(cloud-provider-aws pkg/providers/v1/aws_routes.go, findRouteTable), and a VPC with private subnets
has one per zone. Every call is idempotent, so two control-plane nodes may run it at once.
"""
import argparse
import ipaddress
import json
import subprocess
import sys
import time


def log(message):
    print(f"kubeadm-vpc-routes: {message}", file=sys.stderr, flush=True)


def instance_of(provider_id):
    """i-0123 from aws:///eu-west-1a/i-0123, or None."""
    if not provider_id or not provider_id.startswith("aws://"):
        return None
    last = provider_id.rstrip("/").rsplit("/", 1)[-1]
    return last if last.startswith("i-") else None


def desired_routes(nodes, pod_range):
    """{node range: instance id} of the nodes that have both, inside the pod range."""
    wanted = {}
    for node in nodes:
        spec = node.get("spec", {})
        cidr, instance = spec.get("podCIDR"), instance_of(spec.get("providerID"))
        if not cidr or not instance:
            continue
        network = ipaddress.ip_network(cidr, strict=False)
        if network.version == 4 and network.subnet_of(pod_range):
            wanted[str(network)] = instance
    return wanted


def error_code(error):
    return getattr(error, "response", {}).get("Error", {}).get("Code", "")


def reconcile(ec2, nodes, cluster_tag_key, vpc_id, pod_cidr):
    """One pass. Returns what it changed, as lines; raises only on errors it cannot skip."""
    pod_range = ipaddress.ip_network(pod_cidr)
    wanted = desired_routes(nodes, pod_range)
    changes = []
    tables = []
    paginator_token = None
    while True:
        kwargs = {"Filters": [{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "tag-key", "Values": [cluster_tag_key]}]}
        if paginator_token:
            kwargs["NextToken"] = paginator_token
        page = ec2.describe_route_tables(**kwargs)
        tables.extend(page.get("RouteTables", []))
        paginator_token = page.get("NextToken")
        if not paginator_token:
            break
    if not tables:
        raise RuntimeError(f"no route table in {vpc_id} carries the tag {cluster_tag_key}; tag the route tables of the node subnets with {cluster_tag_key}=shared")
    for table in sorted(tables, key=lambda t: t["RouteTableId"]):
        table_id = table["RouteTableId"]
        present = {}
        for route in table.get("Routes", []):
            destination = route.get("DestinationCidrBlock")
            if not destination or route.get("Origin") == "CreateRouteTable":
                continue
            network = ipaddress.ip_network(destination, strict=False)
            if network.version == 4 and network.subnet_of(pod_range):
                present[str(network)] = route
        for destination, route in sorted(present.items()):
            if destination not in wanted:
                try:
                    ec2.delete_route(RouteTableId=table_id, DestinationCidrBlock=destination)
                    changes.append(f"{table_id}: deleted {destination} ({route.get('State', 'active')}, no node owns it)")
                except Exception as error:  # another control-plane node was quicker
                    if error_code(error) != "InvalidRoute.NotFound":
                        raise
        for destination, instance in sorted(wanted.items()):
            route = present.get(destination)
            if route is None:
                try:
                    ec2.create_route(RouteTableId=table_id, DestinationCidrBlock=destination, InstanceId=instance)
                    changes.append(f"{table_id}: created {destination} -> {instance}")
                    continue
                except Exception as error:
                    if error_code(error) != "RouteAlreadyExists":
                        raise
            elif route.get("InstanceId") == instance and route.get("State") != "blackhole":
                continue
            ec2.replace_route(RouteTableId=table_id, DestinationCidrBlock=destination, InstanceId=instance)
            changes.append(f"{table_id}: replaced {destination} -> {instance}")
    instances = sorted(set(wanted.values()))
    if instances:
        for reservation in ec2.describe_instances(InstanceIds=instances).get("Reservations", []):
            for instance in reservation.get("Instances", []):
                if instance.get("SourceDestCheck", True):
                    ec2.modify_instance_attribute(InstanceId=instance["InstanceId"], SourceDestCheck={"Value": False})
                    changes.append(f"{instance['InstanceId']}: source/destination check off")
    return changes


def read_nodes(kubeconfig):
    output = subprocess.run(
        ["kubectl", "--kubeconfig", kubeconfig, "--request-timeout=20s", "get", "nodes", "-o", "json"],
        check=True, capture_output=True, text=True, timeout=60,
    ).stdout
    return json.loads(output).get("items", [])


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--region", required=True)
    parser.add_argument("--vpc-id", required=True)
    parser.add_argument("--cluster-name", required=True)
    parser.add_argument("--pod-cidr", required=True)
    parser.add_argument("--kubeconfig", default="/etc/kubernetes/admin.conf")
    parser.add_argument("--interval", type=float, default=15, help="seconds between passes")
    parser.add_argument("--passes", type=int, default=0, help="stop after this many passes (0: never)")
    args = parser.parse_args(argv)
    import boto3  # noqa: E402 - Ubuntu's python3-boto3, installed on every node

    ec2 = boto3.client("ec2", region_name=args.region)
    tag_key = f"kubernetes.io/cluster/{args.cluster_name}"
    done = 0
    failures = 0
    while True:
        try:
            for line in reconcile(ec2, read_nodes(args.kubeconfig), tag_key, args.vpc_id, args.pod_cidr):
                log(line)
            failures = 0
        except Exception as error:  # keep going: the next pass tries again
            failures += 1
            log(f"pass failed ({failures} in a row): {error}; check this node's role (ec2:CreateRoute, ec2:ReplaceRoute, ec2:DeleteRoute on route tables tagged {tag_key}) and the API server")
        done += 1
        if args.passes and done >= args.passes:
            return 1 if failures else 0
        time.sleep(args.interval)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
