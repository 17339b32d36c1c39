import { afterAll, beforeAll } from 'vitest';
import type { Stack } from '../support/stack';
import { connectStack, uniqueName } from '../support/stack';
import { objectStoreContract } from '../support/object-store-contract';

let stack: Stack;
beforeAll(async () => {
  stack = await connectStack();
});
afterAll(async () => {
  await stack.close();
});

const run = uniqueName('contract');
let n = 0;
objectStoreContract(
  'S3 (versitygw)',
  () => stack.store,
  () => `test/${run}/case${++n}`,
);
