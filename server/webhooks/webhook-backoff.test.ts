import { retryDelayMs, unitFrom } from './webhook-backoff';

describe('webhook retry back-off', () => {
  const config = { retrySeconds: 30, maxRetrySeconds: 3600 };

  it('doubles after each failed attempt, up to the cap, with each pause between half and all of it', () => {
    const expected = [30, 60, 120, 240, 480, 960, 1920, 3600, 3600].map((s) => s * 1000);
    expected.forEach((full, i) => {
      expect(retryDelayMs(i + 1, config, 0)).toBe(full / 2);
      expect(retryDelayMs(i + 1, config, 0.999999)).toBeLessThanOrEqual(full);
      expect(retryDelayMs(i + 1, config, 0.999999)).toBeGreaterThan(full * 0.99);
    });
  });

  it('draws the jitter uniformly from random bytes', () => {
    expect(unitFrom(new Uint8Array([0, 0, 0, 0]))).toBe(0);
    expect(unitFrom(new Uint8Array([0x80, 0, 0, 0]))).toBe(0.5);
    expect(unitFrom(new Uint8Array([0xff, 0xff, 0xff, 0xff]))).toBeLessThan(1);
  });
});
