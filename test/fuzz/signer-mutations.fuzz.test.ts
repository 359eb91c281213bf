/**
 * A signer never signs a mutated request: starting from an honest withdrawal that passes,
 * fast-check changes one thing that matters (an output's amount or script, the spent outpoint,
 * the witness UTXO, the previous transaction, an intent field, the approvals) and the signer's
 * verification must refuse every time.
 */
import fc from 'fast-check';
import { verifyWithdrawalForSigning } from '../../protocol/intent/verify-withdrawal';
import { intentHash } from '../../protocol/intent/intent-hash';
import { editPsbt, honestIntent, verifyInput } from '../support/withdrawal-fixture';

const RUNS = 150;
const honest = verifyInput();

function signs(input: ReturnType<typeof verifyInput>): boolean {
  return verifyWithdrawalForSigning(input).ok;
}

describe('the signer under mutated signing requests', () => {
  it('accepts the honest request the mutations start from', () => {
    expect(signs(honest)).toBe(true);
  });

  // The change amount is left out on purpose: less change is more fee, which the signer
  // accepts within the intent's and the policy's fee caps (those have tests of their own).
  it('refuses a PSBT with the destination amount, or any output script, changed', () => {
    fc.assert(fc.property(fc.nat({ max: 1 }), fc.bigInt({ min: 1n, max: 2_000_000n }), fc.uint8Array({ minLength: 1, maxLength: 34 }), fc.boolean(), (out, amount, script, scriptOnly) => {
      const mutated = editPsbt(honest.withdrawal.psbt, (raw) => {
        const output = raw.global.unsignedTx.outputs[out]!;
        if (scriptOnly || out === 1) {
          fc.pre(Buffer.compare(Buffer.from(script), Buffer.from(output.script)) !== 0);
          output.script = script;
        } else {
          fc.pre(amount !== output.amount);
          output.amount = amount;
        }
      });
      expect(signs({ ...honest, withdrawal: { ...honest.withdrawal, psbt: mutated } })).toBe(false);
    }), { numRuns: RUNS });
  });

  it('refuses a PSBT whose spent outpoint, witness UTXO or previous transaction changed', () => {
    fc.assert(fc.property(fc.constantFrom('txid', 'vout', 'witnessAmount', 'witnessScript', 'prevAmount', 'dropPrev'), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.integer({ min: 1, max: 5 }), fc.bigInt({ min: 1n, max: 10_000_000n }), (what, bytes, vout, amount) => {
      const mutated = editPsbt(honest.withdrawal.psbt, (raw) => {
        const input = raw.inputs[0]!;
        const txIn = raw.global.unsignedTx.inputs[0]!;
        if (what === 'txid') txIn.txid = bytes;
        else if (what === 'vout') txIn.index = vout;
        else if (what === 'witnessAmount') { fc.pre(amount !== input.witnessUtxo!.amount); input.witnessUtxo!.amount = amount; }
        else if (what === 'witnessScript') input.witnessUtxo!.script = bytes;
        else if (what === 'prevAmount') { fc.pre(amount !== input.nonWitnessUtxo!.outputs[0]!.amount); input.nonWitnessUtxo!.outputs[0]!.amount = amount; }
        else delete input.nonWitnessUtxo;
      });
      expect(signs({ ...honest, withdrawal: { ...honest.withdrawal, psbt: mutated } })).toBe(false);
    }), { numRuns: RUNS });
  });

  it('refuses when the intent it carries differs from what the proposer signed', () => {
    const fields = ['requestId', 'feeRate', 'maxFee', 'memo', 'expiresAt', 'policyHash'] as const;
    fc.assert(fc.property(fc.constantFrom(...fields), fc.string({ minLength: 1, maxLength: 12 }), (field, value) => {
      const intent = { ...honestIntent(), [field]: value };
      fc.pre(intent[field] !== honestIntent()[field]);
      // The coordinator swaps the intent and even recomputes its hash; the proposal still says otherwise.
      expect(signs({ ...honest, withdrawal: { ...honest.withdrawal, intent, intentHash: intentHash(intent as ReturnType<typeof honestIntent>) } })).toBe(false);
    }), { numRuns: RUNS });
  });

  it('refuses when the approvals are dropped, duplicated or replaced by arbitrary values', () => {
    fc.assert(fc.property(fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }), (approvals) => {
      expect(signs({ ...honest, withdrawal: { ...honest.withdrawal, approvals } })).toBe(false);
    }), { numRuns: RUNS });
  });
});
