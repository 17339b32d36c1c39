export * from './monoid';
export * from './basic';
export * from './murmur3';
export * from './hyperloglog';
export * from './distinct';
export * from './moments';
export * from './quantile-sketch';
export * from './fingerprint';
