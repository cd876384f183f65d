import { TerraformProvider, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';

/**
 * Returns the stack's default (unaliased) provider of a type, creating it once if the stack has
 * none. Utility providers such as tls and random need no configuration, and a second default
 * provider of the same type is an error in Terraform, so every construct shares one.
 */
export function stackProvider<T extends TerraformProvider>(scope: Construct, type: new (scope: Construct, id: string, config: {}) => T, id: string): T {
  const stack = TerraformStack.of(scope);
  const existing = stack.node.children.find((c): c is T => c instanceof type && !(c as TerraformProvider).alias);
  return existing ?? new type(stack, id, {});
}
