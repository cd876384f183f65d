import { Fn, TerraformOutput } from 'cdktf';
import { MachineImage } from '../lib/nodes/ami';
import { ClusterConfigError, KubeadmCluster } from '../lib';
import { synthesisedCluster } from './support/cluster-synth';
import { synthStack } from './support/synth';

// Canonical's parameter moves by itself; nodes must not. The image id is copied once into a
// terraform_data whose input changes are ignored, and only an explicit refresh label replaces it.

function pinned(image: MachineImage) {
  const synth = synthStack((stack) => {
    new TerraformOutput(stack, 'image', { value: image.amiId(stack, 'amd64') });
    // Asking twice in one scope reuses the same pinned image.
    new TerraformOutput(stack, 'again', { value: image.amiId(stack, 'amd64') });
  });
  expect(synth.json.output.again.value).toBe(synth.json.output.image.value);
  return synth;
}

describe('MachineImage.ubuntu2404', () => {
  test('reads the parameter into a terraform_data that ignores later values, and uses its output', () => {
    const synth = pinned(MachineImage.ubuntu2404());
    const [[parameterId, parameter]] = synth.data('aws_ssm_parameter');
    expect(parameter.name).toBe('/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id');
    const data = synth.resources('terraform_data');
    expect(data).toHaveLength(1);
    const [id, pin] = data[0];
    expect(pin.input).toEqual({ ami_id: `\${data.aws_ssm_parameter.${parameterId}.insecure_value}` });
    expect(pin.lifecycle.ignore_changes).toEqual(['input']);
    expect(pin.triggers_replace).toBeUndefined();
    expect(synth.json.output.image.value).toBe(`\${terraform_data.${id}.output["ami_id"]}`);
  });

  test('a refresh label is the replacement trigger that reads the parameter again', () => {
    const synth = pinned(MachineImage.ubuntu2404({ refresh: '2026-12' }));
    expect(synth.resources('terraform_data')[0][1].triggers_replace).toEqual({ refresh: '2026-12' });
  });

  test('a fixed AMI id stays a literal', () => {
    const synth = pinned(MachineImage.fromAmiId('ami-0123456789abcdef0'));
    expect(synth.json.output.image.value).toBe('ami-0123456789abcdef0');
    expect(synth.resources('terraform_data')).toHaveLength(0);
    expect(synth.data('aws_ssm_parameter')).toHaveLength(0);
  });

  test('launch templates and control-plane instances take the pinned image, never the parameter', () => {
    const synth = synthesisedCluster({ clusterName: 'demo', apiAccessCidrs: ['198.51.100.0/24'] });
    const images = [
      ...synth.resources('aws_launch_template').map(([, t]) => t.image_id),
      ...synth.resources('aws_instance').map(([, i]) => i.ami),
    ];
    expect(images).toHaveLength(2);
    for (const image of images) {
      expect(image).toMatch(/^\$\{terraform_data\.[^.]+\.output\["ami_id"\]\}$/);
    }
  });

  test('a bad refresh label is a problem naming the property, with the fix', () => {
    let error: unknown;
    try {
      synthStack((stack) => new KubeadmCluster(stack, 'cluster', {
        clusterName: 'demo',
        apiAccessCidrs: ['198.51.100.0/24'],
        controlPlane: { machineImage: MachineImage.ubuntu2404({ refresh: 'next month' }) },
        workerPools: [{ name: 'workers', desiredSize: 2, machineImage: MachineImage.ubuntu2404({ refresh: '' }) }],
      }));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ClusterConfigError);
    const problems = (error as ClusterConfigError).problems;
    expect(problems.map((p) => [p.property, p.value])).toEqual([
      ['controlPlane.machineImage.refresh', '"next month"'],
      ['workerPools[0].machineImage.refresh', '""'],
    ]);
    expect(problems[0].fix).toContain("'2026-12'");
  });

  test('a fixed AMI id must look like one: ami- and 8 or 17 hex digits, or a token', () => {
    const build = (ids: string[]) => () =>
      synthStack((stack) => new KubeadmCluster(stack, 'cluster', {
        clusterName: 'demo',
        apiAccessCidrs: ['198.51.100.0/24'],
        controlPlane: { machineImage: MachineImage.fromAmiId(ids[0]) },
        workerPools: ids.slice(1).map((id, i) => ({ name: `pool${i}`, desiredSize: 1, machineImage: MachineImage.fromAmiId(id) })),
      }));
    let error: unknown;
    try {
      build(['ubuntu-24.04', 'ami-12345', 'ami-0123456789ABCDEF0', 'ami-0123456789abcdef0', 'ami-0123abcd'])();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ClusterConfigError);
    const problems = (error as ClusterConfigError).problems;
    expect(problems.map((p) => [p.property, p.value])).toEqual([
      ['controlPlane.machineImage.amiId', '"ubuntu-24.04"'],
      ['workerPools[0].machineImage.amiId', '"ami-12345"'],
      ['workerPools[1].machineImage.amiId', '"ami-0123456789ABCDEF0"'],
    ]);
    expect(problems[0].fix).toContain('ami-0123456789abcdef0');
    // A token (for example an id looked up at deploy time) is left to AWS.
    expect(build([Fn.join('', ['ami-', 'looked-up-at-deploy']), 'ami-0123abcd'])).not.toThrow();
  });
});
