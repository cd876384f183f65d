import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ADDONS_BY_MINOR,
  CCM_CHART,
  CCM_CHART_VERSION,
  CCM_IMAGE_REPOSITORY,
  EBS_CSI_CHART,
  EBS_CSI_CHART_VERSION,
  KUBELET_CSR_APPROVER_CHART,
  KUBELET_CSR_APPROVER_CHART_VERSION,
  METRICS_SERVER_CHART,
  METRICS_SERVER_CHART_VERSION,
  METRICS_SERVER_IMAGE,
  NTH_IMAGE,
} from '../lib/addons/addon-versions';
import { artifactKey, PINNED_ARTIFACTS, renderArtifactTable } from '../lib/artifacts';
import { KubernetesVersion } from '../lib/bootstrap/kubernetes-version';
import { BOTO3_PACKAGE, PACKAGES_BY_MINOR } from '../lib/bootstrap/node-packages';
import { CALICO_CHART_VERSION } from '../lib/cni/calico';
import { CILIUM_CHART_VERSION } from '../lib/cni/cilium';
import { FlannelImages } from '../lib/cni/flannel';
import { WeaveImage } from '../lib/cni/weave';
import { synthesisedExample } from './support/example-synth';

const table = new Set(PINNED_ARTIFACTS.map(artifactKey));
const image = (reference: string) => {
  const at = reference.lastIndexOf(':');
  return artifactKey({ kind: 'image', name: reference.slice(0, at), version: reference.slice(at + 1) });
};
const chart = (name: string, version: string) => artifactKey({ kind: 'chart', name, version });
const pkg = (name: string, version: string) => artifactKey({ kind: 'package', name, version });
/** Image references as the stacks carry them: registry/repository:tag, or a Docker Hub repository:tag. */
const IMAGE_IN_TEXT = /\b(?:[a-z0-9.-]+\.[a-z]{2,}\/)?[a-z0-9._-]+(?:\/[a-z0-9._-]+)*:v?\d[\w.-]*(?=["'\s\\,]|$)/g;

/** What the code pins, collected from the constants and factories that hold them. */
function pinnedInCode(): string[] {
  const defaultVersion = KubernetesVersion.of();
  return [
    ...Object.values(ADDONS_BY_MINOR).map((a) => image(`${CCM_IMAGE_REPOSITORY}:${a.ccmImageTag}`)),
    image(`${METRICS_SERVER_IMAGE.repository}:${METRICS_SERVER_IMAGE.tag}`),
    image(NTH_IMAGE),
    ...Object.values(PACKAGES_BY_MINOR).flatMap((p) => [image(p.pauseImage), image(p.etcdImage), pkg('cri-tools', p.criTools), pkg('containerd.io', p.containerdIo), pkg('containerd', p.ubuntuContainerd)]),
    ...[WeaveImage.upstream(), WeaveImage.reweave(), FlannelImages.v0_28_9()].flatMap((i) => JSON.stringify(i).match(IMAGE_IN_TEXT) ?? []).map(image),
    chart(CCM_CHART, CCM_CHART_VERSION),
    chart(EBS_CSI_CHART, EBS_CSI_CHART_VERSION),
    chart(METRICS_SERVER_CHART, METRICS_SERVER_CHART_VERSION),
    chart(KUBELET_CSR_APPROVER_CHART, KUBELET_CSR_APPROVER_CHART_VERSION),
    chart('tigera-operator', CALICO_CHART_VERSION),
    chart('cilium', CILIUM_CHART_VERSION),
    pkg('kubeadm, kubelet, kubectl', defaultVersion.aptPackageVersion),
    pkg('python3-boto3', BOTO3_PACKAGE.split('=')[1]),
  ];
}

/** What the examples' stacks pin: every chart release, every image reference in their text and chart values. */
function pinnedInExamples(): string[] {
  const found: string[] = [];
  for (const example of ['calico', 'default', 'existing-vpc', 'flannel', 'ha-cilium', 'two-clusters']) {
    const stack = synthesisedExample(example);
    for (const [, release] of stack.resources('helm_release')) {
      found.push(chart(release.chart, release.version));
      for (const m of (release.values ?? []).join('\n').matchAll(/repository: ?"?([^\s"]+)"?\s+tag: ?"?([^\s"]+)/g)) {
        found.push(image(`${m[1]}:${m[2]}`));
      }
    }
    found.push(...(stack.text.match(IMAGE_IN_TEXT) ?? []).filter((r) => !/^(sha256|https?|arn|aws|kubernetes\.io|node\.|[0-9])/.test(r)).map(image));
  }
  return [...new Set(found)];
}

describe('the pinned-artifact table', () => {
  test('every artifact the code pins is in the table, with a source', () => {
    const code = pinnedInCode();
    expect(code.length).toBeGreaterThan(25);
    expect(code.filter((k) => !table.has(k))).toEqual([]);
  });

  test('every chart and image the examples synthesise is in the table', () => {
    const examples = pinnedInExamples();
    expect(examples).toEqual(expect.arrayContaining([chart('aws-cloud-controller-manager', '0.0.11'), image('registry.k8s.io/pause:3.10.2'), image('curlimages/curl:8.16.0')]));
    expect(examples.filter((k) => !table.has(k))).toEqual([]);
  });

  test('no entry without a source, and none twice', () => {
    expect(PINNED_ARTIFACTS.filter((a) => a.evidence.length < 30 || a.publishedAt.length === 0).map(artifactKey)).toEqual([]);
    expect(table.size).toBe(PINNED_ARTIFACTS.length);
    // Every table entry is pinned somewhere: a stale row fails too.
    const used = new Set([...pinnedInCode(), ...pinnedInExamples()]);
    expect(PINNED_ARTIFACTS.map(artifactKey).filter((k) => !used.has(k))).toEqual([]);
  });

  test('docs/artifacts.md is the rendered table', () => {
    expect(readFileSync(join(__dirname, '../docs/artifacts.md'), 'utf8')).toBe(renderArtifactTable());
  });

  test('the cloud controller manager image of each minor was checked to exist', () => {
    for (const addons of Object.values(ADDONS_BY_MINOR)) {
      const entry = PINNED_ARTIFACTS.find((a) => a.name === CCM_IMAGE_REPOSITORY && a.version === addons.ccmImageTag)!;
      expect([addons.ccmImageTag, entry.status]).toEqual([addons.ccmImageTag, 'checked']);
    }
  });
});
