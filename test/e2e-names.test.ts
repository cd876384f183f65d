import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { appCommand } from '../e2e/context';
import { CHECK_NAMESPACE, CONNECTIVITY_JOB, EXPECTED_NODES_ENV, NEW_CLUSTER_REQUEST, NO_CLUSTER_GENERATION, NO_RESTORE_REQUEST, SNAPSHOT_SERVICE } from '../e2e/names';
import { clustersOf } from '../e2e/preflight';
import { synthesisedExample } from './support/example-synth';
import type { SynthesisedStack } from './support/synthesised-stack';

// What the end-to-end runner expects of a deployed cluster, held to the synthesised default
// example: a rename in the library fails here, not halfway through a run on somebody's account.

const root = join(__dirname, '..');
const stack = () => synthesisedExample('default');
const byName = (s: SynthesisedStack, type: string, name: string) => s.resources(type).find(([, body]) => body.name === name)?.[1];

describe('the names the runner reads', () => {
  test('the clusters of a stack come from its outputs: demo, with one control-plane node', () => {
    const clusters = clustersOf(stack().json.output);
    expect(clusters.map((c) => [c.names.clusterName, c.outputPrefix, c.controlPlaneCount])).toEqual([['demo', 'demo', 1]]);
    for (const output of ['kubeconfig', 'etcd_snapshot_location', 'parameter_path', 'address_plan']) {
      expect([output, stack().json.output[`demo_${output}`] !== undefined]).toEqual([output, true]);
    }
    expect(stack().json.output.demo_etcd_snapshot_location.value).toMatch(/^s3:\/\/\$\{aws_cloudformation_stack\.[^}]+\.outputs\.BucketName\}\/demo\/$/);
  });

  test('parameters, the first control-plane group and its SSM target, as the stack creates them', () => {
    const [{ names }] = clustersOf(stack().json.output);
    expect(byName(stack(), 'aws_ssm_parameter', names.generationParameter)?.value).toBe(NO_CLUSTER_GENERATION);
    expect(byName(stack(), 'aws_ssm_parameter', names.restoreRequestParameter)?.value).toBe(NO_RESTORE_REQUEST);
    expect(byName(stack(), 'aws_ssm_parameter', names.versionParameter)).toBeDefined();
    expect(stack().text).toContain(NEW_CLUSTER_REQUEST);
    const group = byName(stack(), 'aws_autoscaling_group', names.firstControlPlaneGroup);
    expect(group).toBeDefined();
    const [, key, role] = /^Key=tag:(.+),Values=(.+)$/.exec(names.controlPlaneTargets)!;
    expect(group.tag).toEqual(expect.arrayContaining([expect.objectContaining({ key, value: role }), expect.objectContaining({ key: names.ownedTagKey, value: 'owned' })]));
    expect(stack().text).toContain(SNAPSHOT_SERVICE);
  });

  test('the retained backup bucket is the one the destroy may delete: <cluster>-etcd-backups-bucket-<random>', () => {
    const [[, backups]] = stack().resources('aws_cloudformation_stack');
    expect(backups.name).toBe('demo-etcd-backups');
    expect(JSON.parse(backups.template_body).Resources.Bucket).toMatchObject({ Type: 'AWS::S3::Bucket', DeletionPolicy: 'Retain' });
  });

  test('the check Job, its count of nodes that must be Ready, and its namespace', () => {
    const jobs = stack().resources('kubernetes_job_v1').map(([, body]) => body);
    expect(jobs.map((job) => job.metadata.name)).toEqual([CONNECTIVITY_JOB]);
    // The control-plane node and the pool's two workers.
    expect(jobs[0].spec.template.spec.container[0].env).toContainEqual({ name: EXPECTED_NODES_ENV, value: '3' });
    expect(stack().resources('kubernetes_namespace_v1').map(([, body]) => body.metadata.name)).toContain(CHECK_NAMESPACE);
  });

  test('the app command is the one cdktf.json runs, and every example has its main.ts', () => {
    expect(JSON.parse(readFileSync(join(root, 'cdktf.json'), 'utf8')).app).toBe(appCommand('default'));
    for (const example of readdirSync(join(root, 'examples'), { withFileTypes: true }).filter((e) => e.isDirectory())) {
      expect(readFileSync(join(root, 'examples', example.name, 'main.ts'), 'utf8')).toContain(`synthExample('${example.name}')`);
    }
  });

  test('the runner is no part of the published package', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(pkg.scripts.e2e).toBe('tsx e2e/main.ts');
    expect((pkg.files as string[]).filter((f) => f.startsWith('e2e'))).toEqual([]);
    expect(JSON.parse(readFileSync(join(root, 'tsconfig.build.json'), 'utf8')).include).toEqual(['lib/**/*.ts', 'bin/**/*.ts']);
    const imports = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? imports(join(dir, e.name)) : e.name.endsWith('.ts') && /from '(\.\.\/)+e2e\//.test(readFileSync(join(dir, e.name), 'utf8')) ? [e.name] : []));
    expect([...imports(join(root, 'lib')), ...imports(join(root, 'bin'))]).toEqual([]);
  });
});
