import type { ProblemList } from './problems';

// How many pod routes the VPC's route tables can hold. Pure: tested without synthesising.

/**
 * Amazon VPC quota "Routes per route table (non-propagated routes)", quota code L-93826ACB: 50 by
 * default, adjustable up to 1,000 (Amazon VPC User Guide, "Amazon VPC quotas", Route tables).
 */
export const DEFAULT_ROUTE_TABLE_QUOTA = 50;
/** The most the quota can be raised to (same page). */
export const MAX_ROUTE_TABLE_QUOTA = 1000;
export const ROUTE_TABLE_QUOTA_CODE = 'L-93826ACB';

/**
 * Routes the stack itself keeps in a node subnet's route table besides the pod routes: the VPC's
 * local route and the default route (to the internet gateway or a NAT gateway). The quota page does
 * not say whether the local route counts, so it is counted.
 */
export const ROUTES_THE_STACK_KEEPS = 2;

export interface RouteCapacityInput {
  /** Nodes the cluster can have at most: the control plane plus every pool's maximum size. */
  readonly maxNodeCount: number;
  /** The account's quota of routes per route table, as the user says it is. */
  readonly routeTableQuota: number;
  /** Where the quota was given, for messages (for example `cni.routeTableQuota`). */
  readonly property: string;
}

/** Pod routes that fit in one route table under `quota`. */
export function podRouteCapacity(quota: number): number {
  return Math.max(0, quota - ROUTES_THE_STACK_KEEPS);
}

/**
 * Every node owns one route in each route table of the node subnets, so the cluster's largest size
 * must fit in what a table holds. Adds one problem, with the quota and both ways out, when not.
 */
export function checkRouteCapacity(problems: ProblemList, input: RouteCapacityInput): void {
  const capacity = podRouteCapacity(input.routeTableQuota);
  if (input.maxNodeCount <= capacity) {
    return;
  }
  const raiseTo = Math.min(MAX_ROUTE_TABLE_QUOTA, input.maxNodeCount + ROUTES_THE_STACK_KEEPS);
  const raise =
    input.maxNodeCount + ROUTES_THE_STACK_KEEPS <= MAX_ROUTE_TABLE_QUOTA
      ? `raise the quota "Routes per route table" (${ROUTE_TABLE_QUOTA_CODE}) to at least ${raiseTo} in Service Quotas and set ${input.property} to it, `
      : '';
  problems.add(
    input.property,
    input.routeTableQuota,
    `the cluster can grow to ${input.maxNodeCount} nodes (control plane plus every pool's maxSize), and each needs its own route in every route table of the node subnets, but a table holds ${input.routeTableQuota} routes (Amazon VPC quota "Routes per route table", ${ROUTE_TABLE_QUOTA_CODE}: ${DEFAULT_ROUTE_TABLE_QUOTA} by default, at most ${MAX_ROUTE_TABLE_QUOTA}), ${ROUTES_THE_STACK_KEEPS} of them the local and default routes: room for ${capacity} nodes`,
    `${raise}lower the pools' maxSize to ${capacity} nodes in total, or use an overlay plugin (Cni.flannel(), Cni.cilium(), Cni.calico()), which needs no route per node`,
  );
}
