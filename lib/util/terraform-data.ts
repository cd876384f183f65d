import { AnyMap, anyToHclTerraform, anyToTerraform, DataConfig, hashMapper, hashMapperHcl, TerraformResource } from 'cdktf';
import { Construct } from 'constructs';

/**
 * Terraform's built-in `terraform_data` resource, synthesised exactly as cdktf's `DataResource`.
 *
 * `DataResource` adds a validation to each instance that runs `terraform version` at every synth:
 * a process of 40 to 50 ms apiece, three of them in a cluster, and a failed synth wherever
 * Terraform is not installed. The cluster's deploy needs Terraform 1.6 or later anyway, beyond the
 * 1.4 that validation asks for, and an older Terraform rejects the configuration at plan.
 */
export class TerraformData extends TerraformResource {
  public static readonly tfResourceType = 'terraform_data';

  /** The `input` value as Terraform has stored it, after apply. */
  public readonly output: AnyMap;
  private readonly input: { [key: string]: unknown } | undefined;
  private readonly triggersReplace: { [key: string]: unknown } | undefined;

  constructor(scope: Construct, id: string, config: DataConfig = {}) {
    super(scope, id, {
      terraformResourceType: TerraformData.tfResourceType,
      terraformGeneratorMetadata: { providerName: 'terraform' },
      provider: config.provider,
      dependsOn: config.dependsOn,
      count: config.count,
      lifecycle: config.lifecycle,
      provisioners: config.provisioners,
      connection: config.connection,
      forEach: config.forEach,
    });
    this.output = new AnyMap(this, 'output');
    this.input = config.input;
    this.triggersReplace = config.triggersReplace;
  }

  protected synthesizeAttributes(): { [name: string]: unknown } {
    return {
      input: hashMapper(anyToTerraform)(this.input),
      triggers_replace: hashMapper(anyToTerraform)(this.triggersReplace),
    };
  }

  protected synthesizeHclAttributes(): { [name: string]: unknown } {
    return {
      input: hashMapperHcl(anyToHclTerraform)(this.input),
      triggers_replace: hashMapperHcl(anyToHclTerraform)(this.triggersReplace),
    };
  }
}
