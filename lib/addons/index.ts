export * from './cluster-workloads';
export * from './service-account-issuer';
export * from './web-identity';
export * from './workload-role';
