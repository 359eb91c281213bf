/**
 * Amounts and times for people: satoshi strings (the protocol's source of truth) shown in BTC
 * and in sats, and times in the viewer's own time zone, with the instant kept in `datetime`.
 */
import { h } from './dom';

const SATS_PER_BTC = 100_000_000n;

export function btc(sats: bigint): string {
  const negative = sats < 0n;
  const abs = negative ? -sats : sats;
  return `${negative ? '-' : ''}${abs / SATS_PER_BTC}.${(abs % SATS_PER_BTC).toString().padStart(8, '0')} BTC`;
}

export function satsText(sats: bigint): string {
  return `${sats.toLocaleString('en-US')} sats`;
}

/** "0.00250000 BTC (250,000 sats)" as one element. */
export function amount(sats: string | bigint): HTMLElement {
  const value = typeof sats === 'bigint' ? sats : BigInt(sats);
  return h('span', { class: 'amount' }, btc(value), ' ', h('span', { class: 'sats' }, `(${satsText(value)})`));
}

export const ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;
const formatter = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

export function time(iso: string | null | undefined): HTMLElement | string {
  if (!iso) return '—';
  const date = new Date(iso);
  return h('time', { datetime: date.toISOString(), title: `${date.toISOString()} (UTC)` }, formatter.format(date));
}

export function shortKey(key: string): string {
  return `${key.slice(0, 8)}…${key.slice(-4)}`;
}

/**
 * Parses what a person typed as an amount in `unit` into sats, or says why not: BTC with at
 * most 8 decimals, or whole sats; grouping commas, spaces and underscores are allowed.
 */
export function parseAmount(text: string, unit: 'btc' | 'sats'): bigint {
  const clean = text.trim().replace(/[,_\s]/g, '');
  if (clean === '') throw new Error('Enter an amount.');
  if (unit === 'sats') {
    if (!/^\d{1,16}$/.test(clean)) throw new Error('An amount in sats is a whole number, like 250000.');
    return BigInt(clean);
  }
  const match = /^(\d{1,8})(?:\.(\d{0,8}))?$/.exec(clean);
  if (match === null) throw new Error('An amount in BTC has at most 8 decimals, like 0.0025.');
  return BigInt(match[1]!) * SATS_PER_BTC + BigInt((match[2] ?? '').padEnd(8, '0'));
}
