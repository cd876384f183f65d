import { parse, parseAllDocuments } from 'yaml';
import {
  clusterConfiguration,
  CONTAINERD_CRI_SOCKET,
  discoveryKubeconfig,
  initConfiguration,
  initDocuments,
  joinConfiguration,
  KeyAlgorithm,
  KubeadmConfigProps,
  kubeletConfiguration,
  kubeProxyConfiguration,
  NODE_BOOTSTRAP_GROUP,
  JOIN_TOKEN_CONFIG_PLACEHOLDER,
  PROVIDER_ID_CONFIG_PLACEHOLDER,
  renderKubeadmConfig,
  renderDiscoveryKubeconfig,
} from '../lib/bootstrap/kubeadm-config';
import { KubernetesVersion } from '../lib/bootstrap/kubernetes-version';
import { AddressPlan } from '../lib/plan';
import { problemsThrownBy } from './support/problems';

// A plan that differs from every default, so that a value copied from a default would show.
const plan = AddressPlan.create({
  vpcCidr: '172.20.0.0/16',
  zoneCount: 3,
  controlPlaneCount: 3,
  workerCount: 40,
  podCidr: '10.32.0.0/12',
  serviceCidr: '10.100.0.0/16',
  nodeCidrMaskSize: 22,
});

const props: KubeadmConfigProps = {
  kubernetesVersion: KubernetesVersion.of('1.35.3'),
  plan,
  apiServerHost: 'api.example.com',
  clusterName: 'prod-eu',
};

function parsedStream(text: string): Array<Record<string, unknown>> {
  const docs = parseAllDocuments(text);
  for (const doc of docs) {
    expect(doc.errors).toEqual([]);
  }
  return docs.map((d) => d.toJS() as Record<string, unknown>);
}

const problemsOf = problemsThrownBy;

describe('kubeadm init documents', () => {
  const text = renderKubeadmConfig(initDocuments(props));
  const docs = parsedStream(text);
  const byKind = Object.fromEntries(docs.map((d) => [d.kind, d])) as Record<string, any>;

  test('four documents of the right API versions, separated by ---', () => {
    expect(docs.map((d) => [d.apiVersion, d.kind])).toEqual([
      ['kubeadm.k8s.io/v1beta4', 'InitConfiguration'],
      ['kubeadm.k8s.io/v1beta4', 'ClusterConfiguration'],
      ['kubelet.config.k8s.io/v1beta1', 'KubeletConfiguration'],
      ['kubeproxy.config.k8s.io/v1alpha1', 'KubeProxyConfiguration'],
    ]);
    expect(text.match(/^---$/gm)).toHaveLength(3);
  });

  test('the parsed YAML is exactly the typed objects', () => {
    expect(docs).toEqual(JSON.parse(JSON.stringify(initDocuments(props))));
  });

  test('ClusterConfiguration carries the plan: pod and service ranges, node mask', () => {
    const cluster = byKind.ClusterConfiguration;
    expect(cluster.networking).toEqual({ podSubnet: '10.32.0.0/12', serviceSubnet: '10.100.0.0/16', dnsDomain: 'cluster.local' });
    expect(cluster.controllerManager.extraArgs).toEqual([
      { name: 'allocate-node-cidrs', value: 'true' },
      { name: 'node-cidr-mask-size', value: '22' },
    ]);
    expect(cluster.kubernetesVersion).toBe('v1.35.3');
    expect(cluster.clusterName).toBe('prod-eu');
    expect(cluster.controlPlaneEndpoint).toBe('api.example.com:6443');
    expect(cluster.encryptionAlgorithm).toBe('ECDSA-P256');
    expect(cluster.proxy).toBeUndefined();
  });

  test('the API server certificate names the endpoint and every control-plane IP', () => {
    const ips = plan.controlPlaneNodes.map((n) => n.privateIp);
    expect(ips).toHaveLength(3);
    expect(byKind.ClusterConfiguration.apiServer.certSANs).toEqual(['api.example.com', ...ips]);
  });

  test('KubeProxyConfiguration: clusterCIDR is the pod range', () => {
    expect(byKind.KubeProxyConfiguration).toEqual({
      apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
      kind: 'KubeProxyConfiguration',
      mode: 'iptables',
      clusterCIDR: '10.32.0.0/12',
    });
  });

  test('KubeletConfiguration: systemd cgroups, the plan\'s DNS IP and pod capacity', () => {
    expect(byKind.KubeletConfiguration).toMatchObject({ cgroupDriver: 'systemd', clusterDNS: ['10.100.0.10'], clusterDomain: 'cluster.local', maxPods: 110 });
    const small = AddressPlan.create({ nodeCidrMaskSize: 26, podCidr: '10.244.0.0/16' });
    expect(kubeletConfiguration({ plan: small }).maxPods).toBe(small.podsPerNode);
    expect(small.podsPerNode).toBeLessThan(110);
  });

  test('InitConfiguration: kubeadm generates its own short-lived token on the node, the fixed IP, containerd', () => {
    const init = byKind.InitConfiguration;
    expect(init.bootstrapTokens).toEqual([
      { description: expect.stringContaining('unused'), ttl: '1h', usages: ['signing', 'authentication'], groups: [NODE_BOOTSTRAP_GROUP] },
    ]);
    expect(text).not.toMatch(/token: /);
    expect(NODE_BOOTSTRAP_GROUP).toBe('system:bootstrappers:kubeadm:default-node-token');
    expect(init.localAPIEndpoint).toEqual({ advertiseAddress: plan.controlPlaneNodes[0].privateIp, bindPort: 6443 });
    expect(init.nodeRegistration).toEqual({
      criSocket: 'unix:///var/run/containerd/containerd.sock',
      kubeletExtraArgs: [
        { name: 'node-ip', value: plan.controlPlaneNodes[0].privateIp },
        { name: 'cloud-provider', value: 'external' },
        { name: 'provider-id', value: '@provider-id@' },
      ],
    });
  });

  test('Secrets are encrypted at rest: the API server reads the encryption configuration from its host folder', () => {
    const cluster = byKind.ClusterConfiguration;
    expect(cluster.apiServer.extraArgs).toEqual([{ name: 'encryption-provider-config', value: '/etc/kubernetes/encryption/config.yaml' }]);
    expect(cluster.apiServer.extraVolumes).toEqual([
      { name: 'encryption-config', hostPath: '/etc/kubernetes/encryption', mountPath: '/etc/kubernetes/encryption', readOnly: true, pathType: 'DirectoryOrCreate' },
    ]);
  });

  test('no unsafe CA skip, no certificate upload', () => {
    expect(text).not.toMatch(/unsafeSkipCAVerification/i);
    expect(text).not.toMatch(/certificateKey|upload-certs/);
  });
});

describe('kubeadm init options', () => {
  test('port, key algorithm and extra SANs', () => {
    const custom = { ...props, apiServerPort: 8443, keyAlgorithm: KeyAlgorithm.RSA_2048, extraCertSans: ['k8s.internal', '203.0.113.7', 'api.example.com'] };
    expect(initConfiguration(custom).localAPIEndpoint.bindPort).toBe(8443);
    const cluster = clusterConfiguration(custom);
    expect(cluster.controlPlaneEndpoint).toBe('api.example.com:8443');
    expect(cluster.encryptionAlgorithm).toBe('RSA-2048');
    // Each name once, in a stable order.
    expect(cluster.apiServer.certSANs).toEqual(['api.example.com', ...plan.controlPlaneNodes.map((n) => n.privateIp), 'k8s.internal', '203.0.113.7']);
  });

  test('without kube-proxy (for a plugin that replaces it)', () => {
    const docs = initDocuments({ ...props, kubeProxy: false });
    expect(docs.map((d) => d.kind)).toEqual(['InitConfiguration', 'ClusterConfiguration', 'KubeletConfiguration']);
    expect(clusterConfiguration({ ...props, kubeProxy: false }).proxy).toEqual({ disabled: true });
  });

  test('kubeProxyConfiguration alone', () => {
    expect(kubeProxyConfiguration({ plan }).clusterCIDR).toBe(plan.podCidr);
  });
});

describe('the external cloud provider and the published service-account issuer', () => {
  const issuer = { issuerUrl: 'https://demo-oidc.s3.eu-west-1.amazonaws.com', jwksUrl: 'https://demo-oidc.s3.eu-west-1.amazonaws.com/openid/v1/jwks' };

  test('every node kind registers with cloud-provider external and a provider ID; no component but the kubelet gets the flag', () => {
    const registrations = [
      initConfiguration(props).nodeRegistration,
      joinConfiguration(props).nodeRegistration,
      joinConfiguration(props, { controlPlaneAddress: plan.controlPlaneNodes[1].privateIp }).nodeRegistration,
    ];
    for (const registration of registrations) {
      const args = registration.kubeletExtraArgs ?? [];
      expect(args.filter((a) => a.name === 'cloud-provider')).toEqual([{ name: 'cloud-provider', value: 'external' }]);
      expect(args.filter((a) => a.name === 'provider-id')).toEqual([{ name: 'provider-id', value: PROVIDER_ID_CONFIG_PLACEHOLDER }]);
    }
    const cluster = clusterConfiguration({ ...props, serviceAccountIssuer: issuer });
    expect([...cluster.apiServer.extraArgs, ...cluster.controllerManager.extraArgs].map((a) => a.name)).not.toContain('cloud-provider');
    // The placeholder is a whole quoted scalar: the provider ID the node puts in keeps the document's shape.
    const rendered = renderKubeadmConfig([joinConfiguration(props)]);
    expect(rendered).toContain(`value: '${PROVIDER_ID_CONFIG_PLACEHOLDER}'`);
    const filled = parsedStream(rendered.split(PROVIDER_ID_CONFIG_PLACEHOLDER).join('aws:///eu-west-1a/i-0abc'))[0] as any;
    expect(filled.nodeRegistration.kubeletExtraArgs[1]).toEqual({ name: 'provider-id', value: 'aws:///eu-west-1a/i-0abc' });
  });

  test('without the external cloud provider the provider ID stays and the taint-causing flag goes', () => {
    const args = joinConfiguration({ ...props, externalCloudProvider: false }).nodeRegistration.kubeletExtraArgs;
    expect(args).toEqual([{ name: 'provider-id', value: PROVIDER_ID_CONFIG_PLACEHOLDER }]);
  });

  test('the API server signs with the published issuer first, still accepts the in-cluster one, and points at the published keys', () => {
    const cluster = clusterConfiguration({ ...props, serviceAccountIssuer: issuer });
    expect(cluster.apiServer.extraArgs).toEqual([
      { name: 'encryption-provider-config', value: '/etc/kubernetes/encryption/config.yaml' },
      { name: 'service-account-issuer', value: issuer.issuerUrl },
      { name: 'service-account-issuer', value: 'https://kubernetes.default.svc.cluster.local' },
      { name: 'service-account-jwks-uri', value: issuer.jwksUrl },
    ]);
    expect(problemsOf(() => clusterConfiguration({ ...props, serviceAccountIssuer: { issuerUrl: 'http://x', jwksUrl: '${TfToken[TOKEN.4]}/openid/v1/jwks' } })).map((p) => p.property)).toEqual([
      'serviceAccountIssuer.issuerUrl',
    ]);
  });
});

describe('kubeadm join documents', () => {
  test('a worker discovers the cluster by file, pinned to the CA, and joins with the token the node puts in', () => {
    const rendered = renderKubeadmConfig([joinConfiguration(props)]);
    const join = parsedStream(rendered)[0] as any;
    expect(join).toEqual({
      apiVersion: 'kubeadm.k8s.io/v1beta4',
      kind: 'JoinConfiguration',
      nodeRegistration: {
        criSocket: CONTAINERD_CRI_SOCKET,
        kubeletExtraArgs: [
          { name: 'cloud-provider', value: 'external' },
          { name: 'provider-id', value: PROVIDER_ID_CONFIG_PLACEHOLDER },
        ],
      },
      discovery: { file: { kubeConfigPath: '/etc/kubeadm-bootstrap/discovery.conf' }, tlsBootstrapToken: JOIN_TOKEN_CONFIG_PLACEHOLDER },
    });
    // The node replaces the whole single-quoted scalar; any token leaves the document's shape as it was.
    expect(rendered).toContain(`tlsBootstrapToken: '${JOIN_TOKEN_CONFIG_PLACEHOLDER}'`);
    const withToken = parsedStream(rendered.split(JOIN_TOKEN_CONFIG_PLACEHOLDER).join('123456.1234567890123456'))[0] as any;
    expect(withToken.discovery.tlsBootstrapToken).toBe('123456.1234567890123456');
    expect(join.discovery.bootstrapToken).toBeUndefined();
    expect(join.controlPlane).toBeUndefined();
  });

  test('a control-plane node advertises its own fixed IP', () => {
    const address = plan.controlPlaneNodes[2].privateIp;
    const join = joinConfiguration(props, { controlPlaneAddress: address, discoveryKubeconfigPath: '/tmp/d.conf' });
    expect(join.controlPlane).toEqual({ localAPIEndpoint: { advertiseAddress: address, bindPort: 6443 } });
    expect(join.nodeRegistration.kubeletExtraArgs).toEqual([
      { name: 'node-ip', value: address },
      { name: 'cloud-provider', value: 'external' },
      { name: 'provider-id', value: PROVIDER_ID_CONFIG_PLACEHOLDER },
    ]);
    expect(join.discovery.file.kubeConfigPath).toBe('/tmp/d.conf');
  });

  test('a worker asks the cluster CA for its kubelet serving certificate only when told; a control-plane node never does', () => {
    const worker = (extra: object) => joinConfiguration({ ...props, ...extra }).nodeRegistration.kubeletExtraArgs ?? [];
    expect(worker({ kubeletServingCertificates: true })).toEqual([
      { name: 'cloud-provider', value: 'external' },
      { name: 'provider-id', value: PROVIDER_ID_CONFIG_PLACEHOLDER },
      { name: 'rotate-server-certificates', value: 'true' },
    ]);
    expect(worker({}).map((a) => a.name)).not.toContain('rotate-server-certificates');
    const controlPlane = joinConfiguration({ ...props, kubeletServingCertificates: true }, { controlPlaneAddress: '10.0.0.10' }).nodeRegistration.kubeletExtraArgs ?? [];
    expect(controlPlane.map((a) => a.name)).not.toContain('rotate-server-certificates');
    // The shared kubelet configuration (the kubelet-config ConfigMap) is left as it was.
    expect(kubeletConfiguration({ plan })).not.toHaveProperty('serverTLSBootstrap');
  });

  test('the discovery kubeconfig names the server and pins the CA file, with no credentials', () => {
    const text = renderDiscoveryKubeconfig(discoveryKubeconfig(props, '/etc/kubeadm-bootstrap/ca.crt'));
    const kubeconfig = parse(text);
    expect(kubeconfig.clusters).toEqual([{ name: 'prod-eu', cluster: { server: 'https://api.example.com:6443', 'certificate-authority': '/etc/kubeadm-bootstrap/ca.crt' } }]);
    // kubeconfig validation wants the context's user to exist; it is empty.
    expect(kubeconfig.contexts).toEqual([{ name: 'kubeadm-discovery', context: { cluster: 'prod-eu', user: 'kubeadm-discovery' } }]);
    expect(kubeconfig['current-context']).toBe('kubeadm-discovery');
    expect(kubeconfig.users).toEqual([{ name: 'kubeadm-discovery', user: {} }]);
    expect(text).not.toMatch(/insecure-skip-tls-verify|unsafeSkipCAVerification|token/i);
  });

  test('nothing a joining node reads skips CA verification', () => {
    const texts = [
      renderKubeadmConfig([joinConfiguration(props)]),
      renderKubeadmConfig([joinConfiguration(props, { controlPlaneAddress: '10.0.0.10' })]),
      renderDiscoveryKubeconfig(discoveryKubeconfig(props, '/x')),
    ];
    for (const text of texts) {
      expect(text).not.toMatch(/unsafeSkipCAVerification|insecure/i);
    }
  });
});

describe('serialisation', () => {
  test('deterministic', () => {
    expect(renderKubeadmConfig(initDocuments(props))).toBe(renderKubeadmConfig(initDocuments(props)));
  });

  test('Terraform tokens stay single-quoted on one line, and stay strings whatever replaces them', () => {
    const tokenProps = { ...props, apiServerHost: '${TfToken[TOKEN.12]}' };
    const text = renderKubeadmConfig(initDocuments(tokenProps));
    expect(text).toContain("controlPlaneEndpoint: '${TfToken[TOKEN.12]}:6443'");
    expect(text).not.toContain('"');
    // An address of digits and dots would read as a number if it were not quoted.
    const filled = text.split('${TfToken[TOKEN.12]}').join('10.1');
    const [, cluster] = parsedStream(filled) as any[];
    expect(cluster.apiServer.certSANs[0]).toBe('10.1');
  });

  test('long values are never folded', () => {
    const longHost = `${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.example.com`;
    const text = renderKubeadmConfig([clusterConfiguration({ ...props, apiServerHost: longHost })]);
    expect(text).toContain(`controlPlaneEndpoint: '${longHost}:6443'`);
  });
});

describe('kubeadm input validation', () => {
  test('every bad input is reported at once, each with its property and a fix', () => {
    const problems = problemsOf(() =>
      initDocuments({
        ...props,
        apiServerHost: 'https://api.example.com:6443',
        apiServerPort: 70000,
        clusterName: 'Prod EU',
        extraCertSans: ['bad name'],
      }),
    );
    expect(problems.map((p) => p.property)).toEqual(['apiServerHost', 'apiServerPort', 'clusterName', 'extraCertSans']);
    for (const problem of problems) {
      expect(problem.fix.length).toBeGreaterThan(10);
    }
  });

  test('tokens are accepted as they are', () => {
    expect(problemsOf(() => initDocuments({ ...props, apiServerHost: '${TfToken[TOKEN.1]}', clusterName: '${TfToken[TOKEN.3]}' }))).toEqual([]);
  });

  test('an IP address endpoint and a bad one', () => {
    expect(clusterConfiguration({ ...props, apiServerHost: '203.0.113.10' }).controlPlaneEndpoint).toBe('203.0.113.10:6443');
    expect(problemsOf(() => clusterConfiguration({ ...props, apiServerHost: '203.0.113.300' })).map((p) => p.property)).toEqual(['apiServerHost']);
  });

  test('join documents validate their inputs too', () => {
    expect(problemsOf(() => joinConfiguration({ ...props, apiServerHost: 'bad host' })).map((p) => p.property)).toEqual(['apiServerHost']);
  });
});
