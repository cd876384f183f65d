import childProcess = require('node:child_process');
import { App, DataConfig, DataResource, TerraformOutput, TerraformStack } from 'cdktf';
import { TerraformData } from '../lib/util/terraform-data';

// The library's terraform_data must synthesise exactly as cdktf's DataResource, without the
// validation that runs `terraform version` for each instance.

function synthesise(make: (stack: TerraformStack, id: string, config: DataConfig) => { output: { lookup(key: string): unknown } }, hcl = false) {
  const stack = new TerraformStack(new App({ outdir: '/tmp/unused', hclOutput: hcl }), 's');
  const dependency = new DataResource(stack, 'dependency', {});
  const configs: Record<string, DataConfig> = {
    empty: {},
    input: { input: { ami_id: '${data.aws_ssm_parameter.x.insecure_value}', count: 2 }, lifecycle: { ignoreChanges: ['input'] } },
    replaced: { triggersReplace: { endpoint: 'https://example.internal:6443', nested: { list: ['a', 'b'] } }, dependsOn: [dependency] },
    provisioned: {
      triggersReplace: { refresh: '2026-12' },
      provisioners: [{ type: 'local-exec', interpreter: ['node', '-e', 'console.log("${x}")'], command: 'wait', environment: { A: 'b' } }],
    },
  };
  for (const [id, config] of Object.entries(configs)) {
    const resource = make(stack, id, config);
    new TerraformOutput(stack, `${id}-output`, { value: resource.output.lookup('ami_id') });
  }
  return hcl ? stack.toHclTerraform() : stack.toTerraform();
}

describe('TerraformData', () => {
  test('synthesises as DataResource does, to JSON and to HCL', () => {
    expect(synthesise((stack, id, config) => new TerraformData(stack, id, config))).toEqual(synthesise((stack, id, config) => new DataResource(stack, id, config)));
    expect(synthesise((stack, id, config) => new TerraformData(stack, id, config), true)).toEqual(synthesise((stack, id, config) => new DataResource(stack, id, config), true));
  });

  test('runs no terraform process when the stack is validated; DataResource runs one', () => {
    const execSync = jest.spyOn(childProcess, 'execSync').mockImplementation(() => Buffer.from('Terraform v1.9.8'));
    try {
      const stack = new TerraformStack(new App({ outdir: '/tmp/unused' }), 's');
      new TerraformData(stack, 'data', { input: { a: 'b' } });
      stack.runAllValidations();
      expect(execSync).not.toHaveBeenCalled();
      // The control: cdktf's own class asks Terraform for its version.
      new DataResource(stack, 'cdktf', {});
      stack.runAllValidations();
      expect(execSync).toHaveBeenCalledWith('terraform version', expect.anything());
    } finally {
      execSync.mockRestore();
    }
  });
});
