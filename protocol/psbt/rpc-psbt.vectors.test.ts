/**
 * Bitcoin Core's PSBT decoding vectors (test/functional/data/rpc_psbt.json, read unchanged from
 * ../shared/vectors): decodePsbt must reject every PSBT Core rejects, with a ConclaveError and
 * never a crash, accept every valid version 0 PSBT, and refuse valid version 2 (BIP370) ones as
 * unsupported rather than malformed.
 */
import { base64 } from '@scure/base';
import { RawPSBTV0 } from '@scure/btc-signer/psbt.js';
import { describeWithVectors, readVectorJson } from '../../test/vectors/locate';
import { ConclaveError } from '../errors';
import { decodePsbt } from './index';
import { encodeRawPsbtV0 } from './raw';

interface RpcPsbtVectors {
  invalid: string[];
  invalid_with_msg: Array<[string, string]>;
  valid: string[];
}

function outcome(psbt: string): string {
  try {
    decodePsbt(psbt);
    return 'accepted';
  } catch (error) {
    if (error instanceof ConclaveError) return error.code;
    return `raw exception: ${String(error)}`;
  }
}

function tally(outcomes: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of outcomes) counts[o] = (counts[o] ?? 0) + 1;
  return counts;
}

describeWithVectors('Bitcoin Core rpc_psbt.json through decodePsbt', (dir) => {
  const vectors = readVectorJson<RpcPsbtVectors>(dir, 'bitcoin-core-rpc_psbt.json');
  const invalid = [...vectors.invalid, ...vectors.invalid_with_msg.map(([psbt]) => psbt)];

  it('rejects all 86 invalid PSBTs with a ConclaveError', () => {
    expect(invalid).toHaveLength(86);
    // 13 declare version 1 or 2 and are refused for that before anything else; 2 carry a
    // previous transaction that is not the outpoint's (PSBT_MISMATCH, see prevout.ts).
    expect(tally(invalid.map(outcome))).toEqual({ PSBT_MALFORMED: 71, PSBT_UNSUPPORTED_VERSION: 13, PSBT_MISMATCH: 2 });
  });

  it('accepts the 34 valid version 0 PSBTs and refuses the 14 valid version 2 ones as unsupported', () => {
    expect(vectors.valid).toHaveLength(48);
    expect(tally(vectors.valid.map(outcome))).toEqual({ accepted: 34, PSBT_UNSUPPORTED_VERSION: 14 });
    for (const psbt of vectors.valid) {
      if (outcome(psbt) !== 'PSBT_UNSUPPORTED_VERSION') continue;
      expect(() => decodePsbt(psbt)).toThrow('psbt: only PSBT version 0 is supported (this is version 2)');
    }
  });

  it('re-encodes every valid version 0 PSBT exactly as scure\'s one-pass encoder does', () => {
    for (const psbt of vectors.valid) {
      if (outcome(psbt) !== 'accepted') continue;
      const { raw } = decodePsbt(psbt);
      expect(base64.encode(encodeRawPsbtV0(raw))).toBe(base64.encode(RawPSBTV0.encode(RawPSBTV0.decode(base64.decode(psbt)))));
    }
  });
});
