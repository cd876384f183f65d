export * from './ami';
export * from './architecture';
export * from './control-plane';
export * from './worker-pool';
export * from './worker-pool-options';
export * from './api-load-balancers';
export * from './lifecycle-hooks';
export * from './autoscaling-tags';
