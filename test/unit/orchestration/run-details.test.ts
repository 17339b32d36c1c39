import { describe, expect, it } from 'vitest';
import { RunDetails } from '../../../src/workflows/tenant-days/run-details-state';

describe('RunDetails (a run current details, without Temporal)', () => {
  it('shows the step, and beside it what each activity waits for until it got through', () => {
    const details = new RunDetails();
    expect(details.showStep('Running task daily-usage')).toBe('Running task daily-usage');
    expect(details.dependencyWait({ activityId: '3', attempt: 7, waitingFor: 'S3 at 127.0.0.1:7070: refused' })).toBe(
      'Running task daily-usage / waiting for S3 at 127.0.0.1:7070: refused, attempt 7',
    );
    details.dependencyWait({ activityId: '4', attempt: 2, waitingFor: 'Elasticsearch: 503' });
    // The next step keeps the waits of activities still riding out the outage.
    expect(details.showStep('Indexing')).toBe(
      'Indexing / waiting for S3 at 127.0.0.1:7070: refused, attempt 7; Elasticsearch: 503, attempt 2',
    );
    expect(details.dependencyWait({ activityId: '3', attempt: 8 })).toBe(
      'Indexing / waiting for Elasticsearch: 503, attempt 2',
    );
    details.dependencyWait({ activityId: '4', attempt: 3 });
    expect(details.text()).toBe('Indexing');
  });
});
