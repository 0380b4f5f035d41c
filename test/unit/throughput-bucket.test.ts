// The number's token bucket must keep every one-second window at or under the
// number's rate, however greedily and irregularly the lanes take from it.
import { describe, expect, it } from 'vitest';
import { bucketFor } from '../../db/throughput.ts';

/** Greedy takers at irregular moments over `seconds`; returns the grant times (ms). */
function simulate(ratePerSecond: number, seconds: number, seed: number): number[] {
  const { capacity, refillPerSecond } = bucketFor(ratePerSecond);
  let state = seed;
  const random = () => ((state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  let tokens = capacity;
  let refreshedAt = 0;
  const grants: number[] = [];
  for (let now = 0; now < seconds * 1000; now += random() * 7) {
    tokens = Math.min(capacity, tokens + ((now - refreshedAt) / 1000) * refillPerSecond);
    refreshedAt = now;
    const granted = Math.floor(tokens);
    tokens -= granted;
    for (let i = 0; i < granted; i++) grants.push(now);
  }
  return grants;
}

function busiestSecond(grants: number[]): number {
  let busiest = 0;
  let from = 0;
  for (let to = 0; to < grants.length; to++) {
    while (grants[to]! - grants[from]! >= 1000) from++;
    busiest = Math.max(busiest, to - from + 1);
  }
  return busiest;
}

describe('per-number throughput bucket', () => {
  for (const rate of [1, 5, 20, 80, 250, 1000]) {
    it(`never lets more than ${rate} through in any second, and keeps at least 94 % of it`, () => {
      for (const seed of [1, 2, 3]) {
        const grants = simulate(rate, 20, seed);
        expect(busiestSecond(grants)).toBeLessThanOrEqual(rate);
        expect(grants.length / 20).toBeGreaterThanOrEqual(rate * 0.94);
      }
    });
  }
});
