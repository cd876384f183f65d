export * from './cluster-access';
export * from './connectivity-check';
export * from './kubeconfig';
export * from './readiness-program';
export * from './abandoned-resources';
