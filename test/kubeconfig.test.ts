import { parse } from 'yaml';
import { renderAdminKubeconfig } from '../lib/kubernetes/kubeconfig';

describe('renderAdminKubeconfig', () => {
  const input = {
    clusterName: 'demo',
    server: 'https://203.0.113.10:6443',
    certificateAuthorityData: 'Q0EK'.repeat(200),
    clientCertificateData: 'Q0VSVAo=',
    clientKeyData: 'S0VZCg==',
    userName: 'kubernetes-admin',
  };

  test('has one cluster, user and current context wired together', () => {
    const config = parse(renderAdminKubeconfig(input));
    expect(config.kind).toBe('Config');
    expect(config['current-context']).toBe('kubernetes-admin@demo');
    expect(config.contexts[0].context).toEqual({ cluster: 'demo', user: 'kubernetes-admin' });
    expect(config.clusters[0].cluster.server).toBe('https://203.0.113.10:6443');
    expect(config.users[0].user['client-key-data']).toBe('S0VZCg==');
  });

  test('never wraps a long value (a Terraform token must stay on one line)', () => {
    const text = renderAdminKubeconfig({ ...input, certificateAuthorityData: '${TfToken[TOKEN.1234]}' + 'x'.repeat(500) });
    expect(text.split('\n').find((l) => l.includes('certificate-authority-data'))).toContain('x'.repeat(500));
  });
});
