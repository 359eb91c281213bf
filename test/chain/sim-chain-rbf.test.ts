/**
 * Replacement (RBF) in the scripted chain, held against the recorded Bitcoin Core node: the
 * recorded spend and its recorded replacements, sent to a SimChain through the scripted node,
 * get the answers the real node gave (the one paying less refused with Core's message, those
 * paying more accepted, the replaced one gone). Then what the recording does not show: a
 * replacement that does not pay the incremental relay fee, one spending the transaction it
 * replaces, descendants leaving with what they descend from, and a mined transaction evicting
 * its mempool conflicts.
 */
import { hexToBytes } from '@noble/hashes/utils.js';
import { Transaction } from '@scure/btc-signer';
import { describeWithVectors, readVectorJson } from '../vectors/locate';
import { coreNode } from './core-node';
import { type CoreTranscript, TRANSCRIPT_FILE } from './core-rpc-server';
import { SimChain, formatMoney } from './sim-chain';
import { entryByNote } from './transcript-vault';

/** `hex` with its first output paying `amount` instead (signatures no longer valid; the simulation does not check them). */
function withFirstOutput(hex: string, amount: bigint): string {
  const tx = Transaction.fromRaw(hexToBytes(hex), { allowUnknownOutputs: true, allowUnknownInputs: true, disableScriptCheck: true });
  tx.updateOutput(0, { amount }, true);
  return tx.hex;
}

/** A transaction spending `outpoints`, paying `amount` to the script of the first. */
function spendOf(chain: SimChain, outpoints: Array<[string, number]>, amount: bigint): string {
  const tx = new Transaction({ allowUnknownOutputs: true, allowUnknownInputs: true, disableScriptCheck: true });
  for (const [txid, index] of outpoints) tx.addInput({ txid, index, sequence: 0xfffffffd });
  const [first, vout] = outpoints[0]!;
  tx.addOutput({ script: chain.txs.get(first)!.tx.getOutput(vout).script!, amount });
  // A placeholder witness: the simulation does not check scripts, but sizes a transaction only once it is final.
  outpoints.forEach((_, i) => tx.updateInput(i, { finalScriptWitness: [new Uint8Array(72)] }, true));
  return tx.hex;
}

describeWithVectors('scripted chain: replacement by fee', (dir) => {
  const t = readVectorJson<CoreTranscript>(dir, TRANSCRIPT_FILE);
  const sent = (note: string) => entryByNote(t, note).request.params[0] as string;
  let chain: SimChain;
  let node: ReturnType<typeof coreNode>;

  beforeEach(() => {
    chain = new SimChain('regtest');
    node = coreNode(chain, t);
    // The coinbase the recorded spend spends, mined.
    chain.receive(entryByNote(t, 'full previous transaction of a vault coin').response.result as string);
    chain.mine();
  });

  it('answers the recorded spend and its replacements as the recorded node did', () => {
    const notes = [
      'broadcast the valid spend', 'broadcast it again', 'replacement paying less (900 sat): refused',
      'replacement paying 200 sat more: accepted (the incremental relay fee is low)', 'replacement paying 3000 sat: accepted (RBF)',
      'the replaced transaction is gone',
    ];
    for (const note of notes) {
      const entry = entryByNote(t, note);
      const answer = node(entry.request.method, entry.request.params)!;
      expect({ note, status: answer.status, result: answer.result ?? null, error: answer.error ?? null })
        .toEqual({ note, status: entry.httpStatus, result: entry.response.result, error: entry.response.error });
    }
    expect(chain.mempool).toEqual([entryByNote(t, 'replacement paying 3000 sat: accepted (RBF)').response.result]);
  });

  it('refuses a replacement that pays more but not the incremental relay fee for its size, as Core words it', () => {
    const original = chain.submit(sent('broadcast the valid spend'));
    expect(original).toMatchObject({ ok: true, fee: 1000n, vsize: 146 });
    const amount = Transaction.fromRaw(hexToBytes(sent('broadcast the valid spend')), { disableScriptCheck: true }).getOutput(0).amount!;
    const stingy = withFirstOutput(sent('broadcast the valid spend'), amount - 100n);
    const verdict = chain.check(stingy);
    expect(verdict).toMatchObject({ ok: false, code: -26, reason: 'insufficient fee' });
    expect(verdict.ok ? '' : verdict.details).toBe(`insufficient fee, rejecting replacement ${verdict.txid}, not enough additional fees to relay; 0.000001 < 0.00000146`);
    expect(chain.mempool).toEqual([original.txid]);
    // 146 sats more is exactly enough.
    expect(chain.submit(withFirstOutput(sent('broadcast the valid spend'), amount - 146n))).toMatchObject({ ok: true, fee: 1146n, replaces: [original.txid] });
  });

  it('evicts the descendants of what it replaces, counting their fees, and refuses to spend what it replaces', () => {
    const original = chain.submit(sent('broadcast the valid spend'));
    const amount = chain.txs.get(original.txid)!.tx.getOutput(0).amount!;
    const child = chain.submit(spendOf(chain, [[original.txid, 0]], amount - 5000n));
    expect(child).toMatchObject({ ok: true, fee: 5000n });
    // Both the coin the original spends and the original's own output: it would replace its own parent.
    const coinbase = chain.blocks[1]!.txids[0]!;
    expect(chain.check(spendOf(chain, [[coinbase, 0], [original.txid, 0]], amount - 9000n))).toMatchObject({ ok: false, reason: 'bad-txns-spends-conflicting-tx' });

    // 3000 sats is more than the parent's 1000, not more than parent and child together.
    const replacement = withFirstOutput(sent('broadcast the valid spend'), amount + 1000n - 3000n);
    expect(chain.check(replacement)).toMatchObject({ ok: false, details: expect.stringMatching(/less fees than conflicting txs; 0\.00003 < 0\.00006$/) });
    const enough = chain.submit(withFirstOutput(sent('broadcast the valid spend'), amount + 1000n - 7000n));
    expect(enough).toMatchObject({ ok: true, replaces: [original.txid, child.txid] });
    expect(chain.mempool).toEqual([enough.txid]);
  });

  it('a block with one of two conflicting transactions evicts the other from the mempool', () => {
    const original = chain.submit(sent('broadcast the valid spend'));
    const replacement = chain.submit(sent('replacement paying 3000 sat: accepted (RBF)'));
    expect(chain.mempool).toEqual([replacement.txid]);
    // A miner that still had the original mines it (mine() takes what it is given).
    chain.mine(1, [original.txid]);
    expect(chain.mempool).toEqual([]);
    expect(chain.blockOf(original.txid)).toBeDefined();
    expect(chain.check(sent('replacement paying 3000 sat: accepted (RBF)'))).toMatchObject({ ok: false, reason: 'missing-inputs' });
  });

  it('writes amounts as Core does in its messages', () => {
    expect([900n, 1000n, 100_000_000n, 123_456_789n, 0n, 10n].map(formatMoney)).toEqual(['0.000009', '0.00001', '1.00', '1.23456789', '0.00', '0.0000001']);
  });
});
