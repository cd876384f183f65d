export * from './cluster-access';
export * from './connectivity-check';
export * from './kubeconfig';
