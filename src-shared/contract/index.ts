export * from './schemas';
export * from './tensors';
export * from './errors';
export * from './client';
export * from './wire';
export * from './rpc-client';
export * from './codec';
