export * from './plan';
export * from './network';
export * from './cni';
export * from './bootstrap';
export * from './nodes';
export * from './kubernetes';
export * from './cluster';
export * from './network-description';
