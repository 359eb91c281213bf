/** BIP329 labels: JSON Lines with exactly BIP329's keys. */
import { deriveVaultScript } from '../descriptor';
import { ConclaveError } from '../errors';
import { bip329Jsonl, vaultAddressLabels, vaultLabelOrigin, type Bip329Label } from './bip329';
import { vault as multisigVault } from '../../test/support/withdrawal-fixture';
import { HDKey } from '@scure/bip32';
import { networkParams } from '../network';
import type { FrostVaultDescriptor } from '../descriptor';

/** A stand-in FROST group key: a depth-0 key of a throwaway seed (the DKG makes one like it). */
const frostVault: FrostVaultDescriptor = {
  kind: 'tr-frost', network: 'regtest', groupXpub: HDKey.fromMasterSeed(new Uint8Array(32).fill(9), networkParams('regtest').bip32).publicExtendedKey,
};

const TXID = 'f91d0a8a78462bc59398f2c5d7a84fcff491c26ba54c4833478b202796c8aafd';
const ALLOWED: Record<string, string[]> = { addr: ['type', 'ref', 'label'], tx: ['type', 'ref', 'label', 'origin'], output: ['type', 'ref', 'label', 'spendable'] };

function records(text: string): Array<Record<string, unknown>> {
  expect(text.endsWith('\n')).toBe(true);
  return text.slice(0, -1).split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
}

it('labels addresses 0..n of both chains, one JSON object per line', () => {
  const text = bip329Jsonl(vaultAddressLabels(multisigVault, 'treasury', 2));
  const lines = records(text);
  expect(lines).toHaveLength(6);
  expect(lines[0]).toStrictEqual({ type: 'addr', ref: deriveVaultScript(multisigVault, 0, 0).address, label: 'treasury receive 0' });
  expect(lines[5]).toStrictEqual({ type: 'addr', ref: deriveVaultScript(multisigVault, 1, 2).address, label: 'treasury change 2' });
  expect(records(bip329Jsonl(vaultAddressLabels(frostVault, 'f', 0)))[1]).toStrictEqual({ type: 'addr', ref: deriveVaultScript(frostVault, 1, 0).address, label: 'f change 0' });
});

it('writes tx and output records with only BIP329 keys, and a label with a newline stays on one line', () => {
  const labels: Bip329Label[] = [
    { type: 'tx', ref: TXID, label: 'withdrawal 1\nmemo', origin: vaultLabelOrigin(multisigVault) },
    { type: 'output', ref: `${TXID}:1`, label: 'deposit', spendable: true },
    { type: 'output', ref: `${TXID}:0` },
  ];
  const lines = records(bip329Jsonl(labels));
  expect(lines).toHaveLength(3);
  for (const line of lines) {
    expect(Object.keys(line).every((k) => ALLOWED[line.type as string].includes(k))).toBe(true);
    expect(typeof line.type === 'string' && typeof line.ref === 'string').toBe(true);
  }
  expect(lines[0]).toStrictEqual({ type: 'tx', ref: TXID, label: 'withdrawal 1\nmemo', origin: "wsh(sortedmulti(2,[73c5da0a/48'/1'/0'/2'],[" + multisigVault.keys[1].fingerprint + "/48'/1'/0'/2'],[" + multisigVault.keys[2].fingerprint + "/48'/1'/0'/2']))" });
  expect(lines[2]).toStrictEqual({ type: 'output', ref: `${TXID}:0` });
  expect(vaultLabelOrigin(frostVault)).toMatch(/^tr\(\[[0-9a-f]{8}\]\)$/);
});

it('refuses a malformed ref and a type BIP329 does not define here', () => {
  expect(() => bip329Jsonl([{ type: 'tx', ref: 'abc', label: 'x' }])).toThrow(ConclaveError);
  expect(() => bip329Jsonl([{ type: 'output', ref: TXID, label: 'x' }])).toThrow(/outpoint/);
  expect(() => bip329Jsonl([{ type: 'xpub', ref: 'x', label: 'x' } as unknown as Bip329Label])).toThrow(/type/);
});
