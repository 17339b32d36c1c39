export * from './monoids';
export * from './account-state';
export * from './rolling';
export * from './formulas';
export * from './task-graph';
export * from './pipelines';
export * from './states-merger';
