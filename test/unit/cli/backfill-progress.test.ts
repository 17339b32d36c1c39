import { describe, expect, it } from 'vitest';
import { newlyFinished } from '../../../src/cli/backfill-watch';
import { backfillCommandLine, backfillRange, formatBackfillProgress } from '../../../src/cli/status-lines';
import type { BackfillProgress } from '../../../src/workflows/backfills/backfill-contracts';

const ID = 'daybreak/backfill/acme/2026-11-01/2026-11-05';
const progress = (p: Partial<BackfillProgress>): BackfillProgress => ({
  tenantId: 'acme',
  total: 5,
  completed: [],
  failed: [],
  paused: false,
  ...p,
});

describe('backfill progress lines', () => {
  it('reads the range back from the workflow id, and builds the command that addresses it', () => {
    expect(backfillRange(ID)).toEqual({ tenantId: 'acme', from: '2026-11-01', to: '2026-11-05' });
    expect(backfillRange('daybreak/lane/acme')).toBeUndefined();
    expect(backfillCommandLine(ID, '--resume')).toBe(
      'daybreak backfill --tenant acme --from 2026-11-01 --to 2026-11-05 --resume',
    );
  });

  it('prints each day once, as it finishes or is skipped', () => {
    const first = progress({ completed: ['2026-11-01'] });
    expect(newlyFinished(undefined, first)).toEqual(['2026-11-01  done (1/5)']);
    expect(newlyFinished(first, first)).toEqual([]);
    const later = progress({ completed: ['2026-11-01', '2026-11-03'], skipped: ['2026-11-02'] });
    expect(newlyFinished(first, later)).toEqual(['2026-11-03  done (2/5)', '2026-11-02  skipped']);
  });

  it('says where a paused backfill stopped, why, and the commands that resume or skip it', () => {
    const line = formatBackfillProgress(
      ID,
      progress({ completed: ['2026-11-01'], current: '2026-11-02', paused: true, pausedReason: 'CorruptDataError: x' }),
    );
    expect(line).toBe(
      'paused on 2026-11-02 (CorruptDataError: x), 1/5 days done; ' +
        'resume: daybreak backfill --tenant acme --from 2026-11-01 --to 2026-11-05 --resume  ' +
        'or skip the day: daybreak backfill --tenant acme --from 2026-11-01 --to 2026-11-05 --skip',
    );
    expect(formatBackfillProgress(ID, progress({ current: '2026-11-01' }))).toBe('running 2026-11-01, 0/5 days done');
  });
});
