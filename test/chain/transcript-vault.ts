/**
 * The 2-of-3 regtest vault of the recorded Core transcript, as a chain backend's caller would
 * watch it: its receive or change descriptor and the scripts at indices 0..count-1, derived
 * by protocol/ from the keyholders' account keys (the same addresses Core's deriveaddresses
 * returned in the recording).
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { type MultisigVaultDescriptor, deriveVaultScript, singlePathDescriptors } from '../../protocol/descriptor';
import type { WatchedChain } from '../../server/chain/chain-backend';
import type { CoreTranscript } from './core-rpc-server';

export function transcriptVault(t: CoreTranscript): MultisigVaultDescriptor {
  return { kind: 'wsh-sortedmulti', network: 'regtest', threshold: 2, keys: t.keyholders.map((k) => ({ fingerprint: k.fingerprint, path: k.path, xpub: k.tpub })) };
}

export function watchedChain(t: CoreTranscript, change: 0 | 1, count: number): WatchedChain {
  const vault = transcriptVault(t);
  const descriptors = singlePathDescriptors(vault);
  const descriptor = change === 0 ? descriptors.receive : descriptors.change;
  const recorded = change === 0 ? t.receiveDescriptor : t.changeDescriptor;
  if (descriptor !== recorded) throw new Error(`protocol/ writes the ${change === 0 ? 'receive' : 'change'} descriptor differently from the transcript`);
  const scripts = Array.from({ length: count }, (_, index) => {
    const derived = deriveVaultScript(vault, change, index);
    return { address: derived.address, scriptPubKey: bytesToHex(derived.scriptPubKey) };
  });
  return { descriptor, scripts };
}

/** The transcript entry with this note (the n-th one with it, from 0), failing loudly if the recording lacks it. */
export function entryByNote(t: CoreTranscript, note: string, nth = 0): CoreTranscript['entries'][number] & { index: number } {
  const found = t.entries.map((e, index) => ({ ...e, index })).filter((e) => e.note === note)[nth];
  if (!found) throw new Error(`the transcript has no entry "${note}" (#${nth})`);
  return found;
}
