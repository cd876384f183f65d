import { RUN_SETTING_VARIABLES, runSettings } from '../examples/run-settings';
import { synthesisedExample } from './support/example-synth';
import type { SynthesisedStack } from './support/synthesised-stack';

// The switch a run (npm run e2e) deploys an example with: unset, every example is as written (the
// snapshots in examples.test.ts hold that); set, it changes only what it names.

const stack = () => synthesisedExample('default');

describe('the run settings of the examples', () => {
  const withEnv = <T>(env: Record<string, string>, body: () => T): T => {
    const saved = Object.keys(env).map((k) => [k, process.env[k]] as const);
    Object.assign(process.env, env);
    try {
      return body();
    } finally {
      for (const [k, v] of saved) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  };

  test('unset, an example is as written; set, it takes the region, version and cloud check', () => {
    expect(runSettings({})).toEqual({});
    expect(runSettings({ [RUN_SETTING_VARIABLES.region]: ' us-east-2 ', [RUN_SETTING_VARIABLES.kubernetesVersion]: '1.35.4', [RUN_SETTING_VARIABLES.cloudCheck]: 'false' })).toEqual({ region: 'us-east-2', kubernetesVersion: '1.35.4', cloudCheck: false });
    expect(() => runSettings({ [RUN_SETTING_VARIABLES.region]: 'Ohio' })).toThrow('KUBEADM_EXAMPLE_REGION="Ohio" is not an AWS region name');
    expect(() => runSettings({ [RUN_SETTING_VARIABLES.cloudCheck]: 'yes' })).toThrow('KUBEADM_EXAMPLE_CLOUD_CHECK="yes" is neither true nor false');
  });

  test('the cloud check on a deployed cluster only adds its own objects: the redeploy replaces nothing', () => {
    const { App } = require('cdktf') as typeof import('cdktf');
    const { EXAMPLES, stackName } = require('../examples/synth') as typeof import('../examples/synth');
    const { synthExisting } = require('./support/synth') as typeof import('./support/synth');
    const checked = withEnv({ [RUN_SETTING_VARIABLES.cloudCheck]: 'true', [RUN_SETTING_VARIABLES.region]: 'us-east-2', [RUN_SETTING_VARIABLES.kubernetesVersion]: '1.35.4' }, () =>
      synthExisting(EXAMPLES.default(new App({ skipValidation: true }), stackName('default'))),
    );
    const blocks = (s: SynthesisedStack): Map<string, any> => {
      const all = new Map<string, any>();
      for (const section of ['resource', 'data'] as const) {
        for (const [type, byId] of Object.entries(s.json[section] ?? {})) {
          for (const [id, body] of Object.entries(byId as object)) all.set(`${section}.${type}.${id}`, body);
        }
      }
      return all;
    };
    const before = blocks(stack());
    const after = blocks(checked);
    expect(checked.json.provider.aws[0].region).toBe('us-east-2');
    expect(checked.text).toContain('1.35.4');
    expect([...before.keys()].filter((k) => !after.has(k))).toEqual([]);
    const added = [...after.keys()].filter((k) => !before.has(k));
    expect(added.length).toBeGreaterThan(0);
    expect(added.every((k) => /connectivity-check_(cloud|volume-reader)/.test(k))).toBe(true);
    expect(checked.resources('kubernetes_job_v1').map(([, body]) => body.metadata.name)).toEqual(['pod-network-check', 'cloud-check']);

    // The same stack without the region and version settings differs from the default only in
    // what the cloud check adds and the order it waits in.
    const onlyCheck = withEnv({ [RUN_SETTING_VARIABLES.cloudCheck]: 'true' }, () => synthExisting(EXAMPLES.default(new App({ skipValidation: true }), stackName('default'))));
    const changed = [...before.entries()].filter(([k, body]) => JSON.stringify(blocks(onlyCheck).get(k)) !== JSON.stringify(body)).map(([k]) => k);
    expect(changed).toEqual([expect.stringMatching(/^resource\.kubernetes_namespace_v1\.cluster_connectivity-check_namespace/)]);
    const namespace = (s: SynthesisedStack) => s.resources('kubernetes_namespace_v1').find(([id]) => id.startsWith('cluster_connectivity-check'))![1];
    const { depends_on: dependsBefore, ...restBefore } = namespace(stack());
    const { depends_on: dependsAfter, ...restAfter } = namespace(onlyCheck);
    expect(restAfter).toEqual(restBefore);
    expect((dependsAfter as string[]).filter((d) => !(dependsBefore as string[]).includes(d))).toEqual([expect.stringMatching(/^helm_release\.cluster_workloads_ebs-csi-driver/)]);
  });

  test('an example whose zones or VPC belong to its region: ha-cilium takes three zones of another, existing-vpc refuses it', () => {
    const { App } = require('cdktf') as typeof import('cdktf');
    const { EXAMPLES, stackName } = require('../examples/synth') as typeof import('../examples/synth');
    expect(() => withEnv({ [RUN_SETTING_VARIABLES.region]: 'us-east-2' }, () => EXAMPLES['existing-vpc'](new App({ skipValidation: true }), stackName('existing-vpc')))).toThrow(
      'existing-vpc deploys into its VPC in eu-west-1, not us-east-2 (KUBEADM_EXAMPLE_REGION); change REGION and the ids in examples/existing-vpc/stack.ts',
    );
    const { HaCiliumExampleStack } = require('../examples/ha-cilium/stack') as typeof import('../examples/ha-cilium/stack');
    const elsewhere = withEnv({ [RUN_SETTING_VARIABLES.region]: 'us-east-2' }, () => new HaCiliumExampleStack(new App({ skipValidation: true }), 'ha-cilium'));
    const zones = (s: InstanceType<typeof HaCiliumExampleStack>) => {
      const plan = s.cluster.plan.toJSON();
      return [plan.zoneCount, plan.availabilityZones];
    };
    // Three zones, named when the deploy runs in the region it is given.
    expect(zones(elsewhere)).toEqual([3, undefined]);
    expect(zones(new HaCiliumExampleStack(new App({ skipValidation: true }), 'ha-cilium'))).toEqual([3, ['eu-west-1a', 'eu-west-1b', 'eu-west-1c']]);
  });
});
