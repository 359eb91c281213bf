/**
 * BIP329 wallet labels: JSON Lines, one object per line, with BIP329's keys only (`type`,
 * `ref`, `label`, and `origin` on `tx`, `spendable` on `output`). Pure: the caller says what to
 * label; vaultAddressLabels gives the vault's receive and change addresses.
 *
 * BIP329 `origin` is an abbreviated descriptor "including all key origin information but
 * excluding any actual keys, any child path elements, or a checksum": vaultLabelOrigin.
 */
import { ConclaveError } from '../errors';
import { type VaultDescriptor, deriveVaultScript, formatVaultDescriptor, frostGroupFingerprint } from '../descriptor';

export type Bip329Label =
  | { type: 'addr'; ref: string; label: string }
  | { type: 'tx'; ref: string; label: string; origin?: string }
  | { type: 'output'; ref: string; label?: string; spendable?: boolean };

const TXID = /^[0-9a-f]{64}$/;
const OUTPOINT = /^[0-9a-f]{64}:(0|[1-9][0-9]{0,9})$/;
const ADDRESS = /^[A-Za-z0-9]{14,90}$/;

function check(l: Bip329Label, i: number): Bip329Label {
  const where = `bip329 label[${i}]`;
  const bad = (message: string): never => {
    throw new ConclaveError('VALIDATION_FAILED', `${where}: ${message}`);
  };
  if (l.label !== undefined && typeof l.label !== 'string') bad('label must be a string');
  switch (l.type) {
    case 'addr':
      if (!ADDRESS.test(l.ref)) bad(`ref must be an address, got ${JSON.stringify(l.ref)}`);
      return { type: l.type, ref: l.ref, label: l.label };
    case 'tx':
      if (!TXID.test(l.ref)) bad('ref must be a txid, 64 lowercase hex characters');
      return { type: l.type, ref: l.ref, label: l.label, ...(l.origin !== undefined ? { origin: l.origin } : {}) };
    case 'output':
      if (!OUTPOINT.test(l.ref)) bad('ref must be an outpoint, <txid>:<vout>');
      if (l.spendable !== undefined && typeof l.spendable !== 'boolean') bad('spendable must be true or false');
      return {
        type: l.type, ref: l.ref, ...(l.label !== undefined ? { label: l.label } : {}), ...(l.spendable !== undefined ? { spendable: l.spendable } : {}),
      };
    default:
      return bad(`type must be addr, tx or output, got ${JSON.stringify((l as { type: unknown }).type)}`);
  }
}

/** The labels as BIP329 JSON Lines: UTF-8, `\n` between records, one JSON object per line. */
export function bip329Jsonl(labels: readonly Bip329Label[]): string {
  // JSON.stringify escapes any newline inside a label, so a record never spans two lines.
  return labels.map((l, i) => `${JSON.stringify(check(l, i))}\n`).join('');
}

/** BIP329 `origin` for a vault: `wsh(sortedmulti(2,[fp/48'/1'/0'/2'],...))` or `tr([fp])`. */
export function vaultLabelOrigin(d: VaultDescriptor): string {
  if (d.kind === 'tr-frost') return `tr([${frostGroupFingerprint(d)}])`;
  formatVaultDescriptor(d);
  const keys = d.keys.map((k) => `[${k.fingerprint}/${k.path.replace(/h/g, "'")}]`);
  return `wsh(sortedmulti(${d.threshold},${keys.join(',')}))`;
}

/** `<name> receive i` and `<name> change i` for the addresses 0..rangeEnd of both chains. */
export function vaultAddressLabels(d: VaultDescriptor, name: string, rangeEnd: number): Bip329Label[] {
  if (!Number.isSafeInteger(rangeEnd) || rangeEnd < 0) {
    throw new ConclaveError('VALIDATION_FAILED', `bip329: range end must be an integer >= 0, got ${String(rangeEnd)}`);
  }
  const labels: Bip329Label[] = [];
  for (const change of [0, 1] as const) {
    for (let index = 0; index <= rangeEnd; index++) {
      const { address } = deriveVaultScript(d, change, index);
      labels.push({ type: 'addr', ref: address, label: `${name} ${change === 0 ? 'receive' : 'change'} ${index}` });
    }
  }
  return labels;
}
