import { describe, expect, it } from 'vitest';
import type { Document } from '../../../bench/peers/agree';
import { compareDocuments, median, sameValue } from '../../../bench/peers/agree';

/** A document of the bench day as an engine writes it (values picked by hand, not by an engine). */
function doc(accountId: string, fields: Partial<Document> = {}): Document {
  return {
    tenantId: 'acme',
    accountId,
    day: '2026-03-10',
    pipelineVersion: 'v1',
    accountName: 'Café Zoë',
    lifecycleStage: 'mature',
    eventsTotal: 12,
    eventsByType: { login: 2, page_view: 10 },
    activeUsers: 3,
    sessions: 4,
    firstActivityAt: 1773115200000,
    lastActivityAt: 1773150000000,
    activeUsers7d: 3,
    activeUsers30d: 3,
    events7d: 12,
    events30d: 12,
    eventsPrevious7d: 0,
    trendWoW: null,
    activityPercentile: 1.01,
    billingEvents: 0,
    billingHealth: 1,
    healthScore: 52,
    healthDelta: null,
    ...fields,
  };
}

/** The documents as an async stream, the way the bench reads a peer's JSON Lines. */
async function* stream(docs: Document[]): AsyncIterable<Document> {
  for (const d of docs) yield await Promise.resolve(d);
}

describe('compareDocuments', () => {
  it('agrees on equal documents, whatever the order of map keys and null or absent', async () => {
    const peer = doc('acc-1', { eventsByType: { page_view: 10, login: 2 } });
    delete peer.healthDelta;
    const v = await compareDocuments([doc('acc-1'), doc('acc-2')], stream([peer, doc('acc-2')]));
    expect(v).toMatchObject({ agree: true, compared: 2, differenceCount: 0, differences: [] });
  });

  it('names the account and field of every exact field that differs', async () => {
    const v = await compareDocuments(
      [doc('acc-1'), doc('acc-2')],
      [doc('acc-1', { activityPercentile: 1 }), doc('acc-2', { eventsByType: { login: 2, page_view: 9 } })],
    );
    expect(v.agree).toBe(false);
    expect(v.differences).toEqual([
      "account acc-1: activityPercentile is 1.01, the peer's is 1",
      'account acc-2: eventsByType is {"login":2,"page_view":10}, the peer\'s is {"login":2,"page_view":9}',
    ]);
  });

  it('reports accounts on one side only, and keeps only the first differences while counting all', async () => {
    const v = await compareDocuments(
      [doc('acc-1'), doc('acc-3')],
      [doc('acc-2'), doc('acc-3', { eventsTotal: 1, events7d: 1 })],
      { keep: 2 },
    );
    expect(v.differenceCount).toBe(4);
    expect(v.differences).toEqual([
      'account acc-1: only in the expected documents',
      "account acc-2: only in the peer's documents",
    ]);
    expect(v.compared).toBe(1);
  });

  it('holds distinct counts up to 256 exactly and above within the tolerance of the exact count', async () => {
    // 256 is still an exact set on Daybreak's side: one off is a difference.
    const exact = await compareDocuments([doc('a', { sessions: 256 })], [doc('a', { sessions: 255 })]);
    expect(exact.differences).toEqual(["account a: sessions is 256, the peer's is 255"]);
    // 1040 against an exact 1000 is 4% off: within 5%; 1060 is 6%: not.
    const within = await compareDocuments([doc('a', { sessions: 1040 })], [doc('a', { sessions: 1000 })]);
    expect(within).toMatchObject({ agree: true, estimates: 1 });
    expect(within.maxRelativeError).toBeCloseTo(0.04, 10);
    const outside = await compareDocuments([doc('a', { sessions: 1060 })], [doc('a', { sessions: 1000 })]);
    expect(outside.differences).toEqual(["account a: sessions 1060 is not within 5% of the peer's 1000"]);
  });

  it("lets healthScore be one point off only where Daybreak's 7-day users are an estimate", async () => {
    const users = { activeUsers: 300, activeUsers7d: 300, activeUsers30d: 300 };
    const estimated = await compareDocuments(
      [doc('a', { ...users, healthScore: 53 })],
      [doc('a', { ...users, activeUsers7d: 303, healthScore: 52 })],
    );
    expect(estimated.agree).toBe(true);
    const tooFar = await compareDocuments(
      [doc('a', { ...users, healthScore: 54 })],
      [doc('a', { ...users, healthScore: 52 })],
    );
    expect(tooFar.agree).toBe(false);
    const exactUsers = await compareDocuments([doc('a', { healthScore: 53 })], [doc('a', { healthScore: 52 })]);
    expect(exactUsers.differences).toEqual(["account a: healthScore is 53, the peer's is 52"]);
  });
});

describe('sameValue and median', () => {
  it('compares numbers by value and maps by entries', () => {
    expect(sameValue(0, 0)).toBe(true);
    expect(sameValue(null, undefined)).toBe(true);
    expect(sameValue(null, 0)).toBe(false);
    expect(sameValue({ a: 1 }, { a: 1, b: 0 })).toBe(false);
    expect(sameValue({}, {})).toBe(true);
  });

  it('takes the middle value, or the mean of the middle two', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow(RangeError);
  });
});
