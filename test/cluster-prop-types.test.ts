import { App, TerraformStack } from 'cdktf';
import fc from 'fast-check';
import { CLUSTER_PROP_TYPES, PLAN_PROP_NAMES } from '../lib/cluster-prop-types';
import { KubeadmClusterProps } from '../lib/cluster-props';
import { validateCluster } from '../lib/cluster-validation';
import { KubeadmCluster } from '../lib/cluster';
import { Cni } from '../lib/cni/cni';
import { ADDRESS_PLAN_PROP_TYPES } from '../lib/plan/address-plan';
import { ClusterConfigError } from '../lib/plan/problems';
import type { ExpectedType } from '../lib/plan/prop-types';
import { problemsThrownBy } from './support/problems';

const base: KubeadmClusterProps = { clusterName: 'demo', apiAccessCidrs: ['192.0.2.0/24'] };
const TYPES: Record<keyof KubeadmClusterProps, ExpectedType> = { ...CLUSTER_PROP_TYPES, ...(Object.fromEntries(PLAN_PROP_NAMES.map((k) => [k, ADDRESS_PLAN_PROP_TYPES[k]])) as Record<(typeof PLAN_PROP_NAMES)[number], ExpectedType>) };
const KEYS = Object.keys(TYPES) as Array<keyof KubeadmClusterProps>;

/** Validates props as the cluster does; the only error it may throw is a ClusterConfigError. */
function validateOrProblems(props: unknown): void {
  try {
    validateCluster(props as KubeadmClusterProps);
  } catch (e) {
    if (!(e instanceof ClusterConfigError)) {
      throw new Error(`validateCluster(${JSON.stringify(props)}) threw ${String(e)}`);
    }
  }
}

/** Builds the construct in a fresh stack; the only error it may throw is a ClusterConfigError. */
function constructOrProblems(props: unknown): void {
  try {
    new KubeadmCluster(new TerraformStack(new App({ outdir: '/tmp/unused', skipValidation: true }), 'test'), 'cluster', props as KubeadmClusterProps);
  } catch (e) {
    if (!(e instanceof ClusterConfigError)) {
      throw new Error(`new KubeadmCluster(${JSON.stringify(props)}) threw ${String(e)}`);
    }
  }
}

/** A value of another type than the prop's, or a nested option of another type. */
const wrong = (key: keyof KubeadmClusterProps) => fc.jsonValue().filter((v) => !TYPES[key].check(v));

describe('KubeadmCluster props of the wrong type', () => {
  test('every prop has its type checked: the table covers the props interface', () => {
    // The type table is typed against KubeadmClusterProps, so a new prop without a type fails to
    // compile; this holds the running table to the documented props too.
    expect(KEYS.sort()).toEqual([
      'abandon', 'apiAccessCidrs', 'availabilityZones', 'backup', 'cleanUpOnDestroy', 'cloudCheck', 'cloudControllerManager', 'clusterAutoscaler', 'clusterName', 'cni', 'connectivityCheck', 'controlPlane', 'ebsCsiDriver',
      'existingSubnets', 'kubernetesVersion', 'metricsServer', 'network', 'nodeCidrMaskSize', 'nodePortAccessCidrs', 'nodeTerminationHandler', 'podCidr', 'readinessTimeoutMinutes', 'removeSnapshotsOnDestroy', 'scaleUpCheck', 'secretsKmsKeyArn', 'serviceAccountIssuerHosting', 'serviceCidr',
      'sshAccessCidrs', 'sshKeyName', 'vpcCidr', 'workerPools', 'zoneCount',
    ]);
  });

  test("availabilityZones: 3 is reported with the cluster's other problems", () => {
    const problems = problemsThrownBy(() => validateCluster({ ...base, availabilityZones: 3, readinessTimeoutMinutes: 0 } as unknown as KubeadmClusterProps));
    expect(problems.map((p) => [p.property, p.value, p.message])).toEqual([
      ['readinessTimeoutMinutes', '0', 'is a whole number of minutes from 1 to 120'],
      ['availabilityZones', '3', 'is a number, but must be a list of strings'],
    ]);
  });

  test('nested options: control plane, pools, root volumes, each at its own path', () => {
    const problems = problemsThrownBy(() =>
      validateCluster({
        ...base,
        controlPlane: { count: '3', instanceType: 5, rootVolume: { sizeGiB: '30' } },
        workerPools: [{ name: 'a', spot: 'yes' }, 7, { name: 'b', instanceTypes: 't3.large', rootVolume: [] }],
        cni: 'weave',
        network: {},
        apiAccessCidrs: '192.0.2.0/24',
      } as unknown as KubeadmClusterProps),
    );
    expect(problems.map((p) => [p.property, p.message])).toEqual([
      ['network', 'is an object, but must be a ClusterNetworkSource'],
      ['cni', 'is a string, but must be a network plugin (CniPlugin)'],
      ['apiAccessCidrs', 'is a string, but must be a list of strings'],
      ['controlPlane.count', 'is a string, but must be a number'],
      ['controlPlane.instanceType', 'is a number, but must be a string'],
      ['controlPlane.rootVolume.sizeGiB', 'is a string, but must be a number'],
      ['workerPools[0].spot', 'is a string, but must be true or false'],
      ['workerPools[1]', 'is a number, but must be an object'],
      ['workerPools[2].instanceTypes', 'is a string, but must be a list of strings'],
      ['workerPools[2].rootVolume', 'is a list, but must be an object'],
    ]);
    expect(problems[0].fix).toContain('ClusterNetworkSource.newVpc()');
  });

  test('props that are not an object, and a missing name, are reported', () => {
    expect(problemsThrownBy(() => validateCluster(7 as unknown as KubeadmClusterProps)).map((p) => [p.property, p.message])).toEqual([
      ['props', 'is a number, but must be an object of properties'],
      ['clusterName', 'is not a lower-case DNS label'],
    ]);
  });

  test.each(KEYS)('%s: any JSON value of another type gives a ClusterConfigError naming it', (key) => {
    fc.assert(
      fc.property(wrong(key), (value) => {
        const problems = problemsThrownBy(() => validateCluster({ ...base, [key]: value }));
        expect(problems).toContainEqual(expect.objectContaining({ property: key, message: expect.stringContaining(`must be ${TYPES[key].name}`) }));
      }),
      { numRuns: 60 },
    );
  });

  test.each(KEYS)('%s: any value at all throws nothing but a ClusterConfigError', (key) => {
    fc.assert(fc.property(fc.oneof(fc.jsonValue(), fc.anything()), (value) => validateOrProblems({ ...base, [key]: value })), { numRuns: 100 });
  });

  test('nested options of any JSON value throw nothing but a ClusterConfigError', () => {
    const options = (keys: readonly string[]) => fc.dictionary(fc.constantFrom(...keys), fc.jsonValue(), { maxKeys: keys.length });
    const rootVolume = fc.oneof(fc.jsonValue(), options(['sizeGiB', 'kmsKeyId']));
    const pool = fc.oneof(fc.jsonValue(), fc.record({ name: fc.jsonValue(), desiredSize: fc.jsonValue(), minSize: fc.jsonValue(), maxSize: fc.jsonValue(), instanceTypes: fc.jsonValue(), spot: fc.jsonValue(), rootVolume, podsReachInstanceMetadata: fc.jsonValue() }, { requiredKeys: [] }));
    const controlPlane = fc.oneof(fc.jsonValue(), fc.record({ count: fc.jsonValue(), instanceType: fc.jsonValue(), rootVolume }, { requiredKeys: [] }));
    fc.assert(fc.property(controlPlane, fc.array(pool, { maxLength: 3 }), (cp, pools) => validateOrProblems({ ...base, controlPlane: cp, workerPools: pools })), { numRuns: 300 });
  });

  test('any combination of JSON values for every prop throws nothing but a ClusterConfigError, from the construct too', () => {
    const props = fc.record(Object.fromEntries(KEYS.map((k) => [k, fc.jsonValue()])) as Record<keyof KubeadmClusterProps, fc.Arbitrary<unknown>>, { requiredKeys: [] });
    fc.assert(fc.property(props, validateOrProblems), { numRuns: 300 });
    fc.assert(fc.property(fc.jsonValue(), validateOrProblems), { numRuns: 100 });
    // The construct validates first; with a valid name and plugin, most values still reach it.
    fc.assert(fc.property(props, (p) => constructOrProblems({ ...p, clusterName: 'demo', cni: Cni.flannel() })), { numRuns: 40 });
  });
});
