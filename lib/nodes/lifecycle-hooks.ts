/**
 * The lifecycle hooks of every worker group (pure values; `WorkerPool` puts them on the group and
 * the worker's bootstrap completes the launch hook).
 */

/**
 * Holds a new instance in Pending:Wait until its own bootstrap reports its Node Ready, so that an
 * instance refresh, a scale-out and the first deploy count only nodes that can run pods.
 */
export const LAUNCH_HOOK_NAME = 'node-ready';

/**
 * How long a new instance may take to become a Ready node before the group gives it up (the
 * default result is ABANDON: the group terminates and replaces it). The first deploy is the
 * longest case: packages, the control plane's own bootstrap, the join and the network plugin
 * (the readiness wait plus at least 5 minutes; boot-budget.test.ts holds it to that).
 */
export const LAUNCH_HEARTBEAT_SECONDS = 4200;

/**
 * Holds an instance that is being terminated for a bounded time, then lets it go (CONTINUE). The
 * cluster's termination handler hears of it through EventBridge, drains the node and completes
 * the hook; without the handler it is a bounded grace for the pods on the node.
 */
export const TERMINATION_HOOK_NAME = 'node-terminating';
export const TERMINATION_HEARTBEAT_SECONDS = 300;

/**
 * How long Terraform waits for a new group to have its instances in service, which with the launch
 * hook means Ready nodes: as long as an instance may take.
 */
export const WAIT_FOR_CAPACITY_TIMEOUT = `${LAUNCH_HEARTBEAT_SECONDS / 60}m`;
