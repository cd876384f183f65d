// Which test files run in which tier. `npm test` is the fast tier: the pure core, synthesis,
// snapshots, schemas and the static validators (cloud-init schema, shellcheck), at most 30 s on 2
// cores. `npm run test:real` is the real-software tier: real tools (OpenTofu, kubeadm,
// kube-apiserver, etcd, dpkg, checkov, cfn-lint, boto3), our node programs run in sandboxes with
// stand-ins and injected faults, and the network rehearsals in Linux namespaces. CI runs both.
// test/tiers.test.ts holds the split: a fast-tier file may not run a node program or a real tool.

/** Files of the real-software tier, relative to test/. Every other test file is fast. */
const REAL_TIER = [
  // real tools
  'kubeadm-validate.test.ts',
  'issuer-url-pin.test.ts',
  'dpkg-conffile.test.ts',
  'etcd-snapshot.test.ts',
  'node-aws-cli.test.ts',
  'checkov.test.ts',
  'apiserver-dry-run.test.ts',
  'mark-control-plane.test.ts',
  // node programs in sandboxes, with stand-ins and injected faults
  'bootstrap-program.test.ts',
  'bootstrap-faults.test.ts',
  'certificate-renewal.test.ts',
  'control-plane-recovery.test.ts',
  'join-token.test.ts',
  'kubelet-serving-certificate.test.ts',
  'cloud-check-script.test.ts',
  'scale-up-check-script.test.ts',
  'upgrade-program.test.ts',
  'connectivity-script.test.ts',
  'routed-network.test.ts',
  'node-channel.test.ts',
  'issuer-keys.test.ts',
  'etcd-tools.test.ts',
  'cluster-cleanup.test.ts',
  'readiness-program.test.ts',
  'e2e-process-runner.test.ts',
  'issuer-served.test.ts',
  // the network rehearsals (Linux network namespaces)
  'rehearsal.test.ts',
  'rehearsal-examples.test.ts',
  'rehearsal-cli.test.ts',
];

/** A jest path pattern for one file of test/. */
const pattern = (file) => `<rootDir>/test/${file.replace(/\./g, '\\.')}$`;

module.exports = { REAL_TIER, pattern };
