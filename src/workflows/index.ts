export { skeletonWorkflow } from './skeleton';
