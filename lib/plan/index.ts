export * from './address-plan';
export * from './cidr';
export * from './problems';
export { formatTable } from './describe';
