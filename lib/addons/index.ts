export * from './addon-versions';
export * from './ccm-policy';
export * from './cloud-controller-manager';
export * from './cluster-workloads';
export * from './service-account-issuer';
export * from './web-identity';
export * from './workload-role';
