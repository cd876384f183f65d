import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { TerraformOutput, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { AddressPlan } from '../../lib';

/** The default example: the address plan of a Weave Net cluster with one control plane and two workers. */
export class DefaultExampleStack extends TerraformStack {
  public readonly plan: AddressPlan;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    new AwsProvider(this, 'aws', { region: 'eu-west-1' });
    this.plan = AddressPlan.create({ controlPlaneCount: 1, workerCount: 2 });
    new TerraformOutput(this, 'address_plan', { value: this.plan.toJSON(), description: 'The address plan of the cluster' });
  }
}
