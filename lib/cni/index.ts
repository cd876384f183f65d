export * from './cni-plugin';
export * from './ports';
export * from './cni';
export * from './weave';
export * from './flannel';
export * from './cilium';
export * from './calico';
export * from './vpc-routes';
