import { writeFileSync } from 'node:fs';
import { BootstrapAction, bootstrapProgram } from '../lib/bootstrap/bootstrap-program';
import { KubernetesVersion } from '../lib/bootstrap/kubernetes-version';
const out = process.argv[2];
for (const action of Object.values(BootstrapAction)) for (const v of ['1.35.2', '1.36.4']) {
  const p = bootstrapProgram({ action, kubernetesVersion: KubernetesVersion.of(v), region: 'eu-west-1', parameterPath: '/kubeadm/demo', joinTokenParameter: '/kubeadm/demo/join-token', apiEndpoint: '10.0.0.1:6443', joinTokenProgram: '/usr/local/sbin/kubeadm-join-token', channelAssociation: 'demo-node-tools', etcdRestore: { parameterName: '/kubeadm/demo/etcd-restore', program: '/usr/local/sbin/kubeadm-etcd-restore' }, issuerKeysProgram: '/usr/local/sbin/kubeadm-issuer-keys', autoScalingGroupName: 'demo-workers', launchLifecycleHook: 'node-ready' } as any);
  writeFileSync(`${out}/${action}-${v}.sh`, p);
}
