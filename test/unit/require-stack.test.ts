import { afterEach, describe, expect, it } from 'vitest';
import requireStack from '../support/require-stack';

describe('integration guard', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('fails (never skips) with the command that starts the stack when servers are down', async () => {
    // Port 9 (discard) is closed on loopback: nothing of ours listens there.
    process.env.DAYBREAK_TEMPORAL_ADDRESS = '127.0.0.1:9';
    process.env.DAYBREAK_S3_ENDPOINT = 'http://127.0.0.1:9';
    process.env.DAYBREAK_ES_URL = 'http://127.0.0.1:9';
    await expect(requireStack()).rejects.toThrow(/Temporal at 127\.0\.0\.1:9.*\n.*npm run stack:up/);
  });
});
