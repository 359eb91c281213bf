import { createHmac } from 'node:crypto';
import { signWebhook, verifyWebhook, webhookCreateSchema, webhookSecret } from './webhooks';

describe('webhook signatures', () => {
  const secret = webhookSecret(new Uint8Array(32).fill(1));
  const body = '{"event":"withdrawal.approved","id":"x"}';
  const now = new Date('2025-01-02T03:04:05.000Z');

  it('is t=<unix>,v1=<HMAC-SHA256 over "<t>.<body>"> keyed by the secret string, as the docs show with node:crypto', () => {
    const header = signWebhook(secret, body, now);
    const t = Math.floor(now.getTime() / 1000);
    expect(header).toBe(`t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`);
    expect(secret).toMatch(/^whsec_[0-9a-f]{64}$/);
  });

  it('verifies with the secret, and fails with another secret, another body, or an old time', () => {
    const header = signWebhook(secret, body, now);
    expect(verifyWebhook(header, body, secret, now)).toEqual({ ok: true, timestamp: Math.floor(now.getTime() / 1000) });
    expect(verifyWebhook(header, body, webhookSecret(new Uint8Array(32).fill(2)), now).ok).toBe(false);
    expect(verifyWebhook(header, `${body} `, secret, now).ok).toBe(false);
    expect(verifyWebhook(header, body, secret, new Date(now.getTime() + 301_000))).toEqual({ ok: false, reason: expect.stringMatching(/more than 300 s/) });
    expect(verifyWebhook('v1=abc', body, secret, now).ok).toBe(false);
    expect(verifyWebhook(`t=${Math.floor(now.getTime() / 1000)}`, body, secret, now).ok).toBe(false);
  });

  it('accepts any of several v1 signatures (secret rotation)', () => {
    const header = signWebhook(secret, body, now);
    const other = signWebhook(webhookSecret(new Uint8Array(32).fill(3)), body, now);
    expect(verifyWebhook(`${other},${header.split(',')[1]}`, body, secret, now).ok).toBe(true);
  });

  it('refuses unknown events, duplicates and extra fields in webhook.create', () => {
    expect(webhookCreateSchema.safeParse({ url: 'https://x.example/', events: ['withdrawal.approved'] }).success).toBe(true);
    expect(webhookCreateSchema.safeParse({ url: 'https://x.example/', events: ['withdrawal.flown'] }).success).toBe(false);
    expect(webhookCreateSchema.safeParse({ url: 'https://x.example/', events: ['withdrawal.approved', 'withdrawal.approved'] }).success).toBe(false);
    expect(webhookCreateSchema.safeParse({ url: 'https://x.example/', events: [] }).success).toBe(false);
    expect(webhookCreateSchema.safeParse({ url: 'https://x.example/', events: ['withdrawal.approved'], secret: 'mine' }).success).toBe(false);
  });
});
