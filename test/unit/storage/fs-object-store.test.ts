import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { FsObjectStore } from '../../../src/storage/fs-object-store';
import { objectStoreContract } from '../../support/object-store-contract';

const root = mkdtempSync(path.join(tmpdir(), 'daybreak-fs-store-'));
let n = 0;
objectStoreContract(
  'filesystem',
  () => new FsObjectStore(root),
  () => `case${++n}`,
);
