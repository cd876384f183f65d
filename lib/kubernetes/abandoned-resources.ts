import { TerraformResource, TerraformStack } from 'cdktf';
import { IConstruct } from 'constructs';

/** Resource types that live in the cluster and reach it through its API. */
export function isClusterResourceType(type: string): boolean {
  return type.startsWith('kubernetes_') || type.startsWith('helm_');
}

/**
 * A Terraform `removed` block (Terraform 1.7 and OpenTofu 1.7 on): forget the resource at `from`
 * without destroying it, so that no call reaches the API it lived behind.
 */
export interface RemovedBlock {
  readonly from: string;
  readonly lifecycle: { readonly destroy: false };
}

/** The `removed` blocks for these resource addresses, sorted so that the synth is deterministic. */
export function removedBlocks(addresses: readonly string[]): RemovedBlock[] {
  return [...new Set(addresses)].sort().map((from) => ({ from, lifecycle: { destroy: false } }));
}

// One list per stack, shared by every cluster in it: the stack's top-level `removed` key is set
// once and the list grows.
const STACK_REMOVED = new WeakMap<TerraformStack, RemovedBlock[]>();

/**
 * Takes every Kubernetes and Helm resource under `scopes` out of the construct tree and has the
 * stack forget them instead: what a deploy needs when the cluster's API is gone for good, and
 * Terraform could neither read nor delete them. Returns their addresses as they are in state.
 */
export function abandonClusterResources(scopes: readonly IConstruct[]): string[] {
  const resources = scopes
    .flatMap((scope) => scope.node.findAll())
    .filter((c): c is TerraformResource => c instanceof TerraformResource && isClusterResourceType(c.terraformResourceType));
  if (resources.length === 0) {
    return [];
  }
  const addresses = resources.map((r) => `${r.terraformResourceType}.${r.friendlyUniqueId}`);
  for (const resource of resources) {
    resource.node.scope?.node.tryRemoveChild(resource.node.id);
  }
  const stack = TerraformStack.of(resources[0]);
  let list = STACK_REMOVED.get(stack);
  if (!list) {
    list = [];
    STACK_REMOVED.set(stack, list);
    // Terraform's JSON syntax: a top-level block type without labels takes a list of objects.
    stack.addOverride('removed', list);
  }
  const blocks = removedBlocks([...list.map((b) => b.from), ...addresses]);
  list.splice(0, list.length, ...blocks);
  return addresses.sort();
}
