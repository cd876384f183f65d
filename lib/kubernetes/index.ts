export * from './cluster-access';
export * from './connectivity-check';
export * from './kubeconfig';
export * from './readiness-program';
export * from './abandoned-resources';
export * from './cloud-check-objects';
export * from './cloud-check-script';
