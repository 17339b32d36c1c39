export * from './values';
export * from './comparators';
export * from './checks';
export * from './fields';
export * from './policy';
export * from './engine';
export * from './merge-join';
export * from './csv';
