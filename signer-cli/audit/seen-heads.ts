/**
 * Keeping the audit heads this signer has seen in state.json (protocol/audit/seen-heads.ts
 * says why). A head is stored only if the coordinator's signature on it verifies under the
 * pinned coordinator key, so a forged push cannot plant a false alarm; a signed head that
 * contradicts one seen before is itself proof that the coordinator rewrote its history.
 */
import { rememberHead, type SeenHead, verifyAuditHeadSignature } from '../../protocol/audit';
import type { StateStore } from '../state/state-file';

export interface SignedHead extends SeenHead { coordinatorSig: string }

export type RecordHeadOutcome =
  | { status: 'recorded' | 'known' }
  | { status: 'not-pinned' }
  | { status: 'bad-signature' }
  | { status: 'conflict'; previous: SeenHead };

export function rememberSeenHead(state: StateStore, head: SignedHead): RecordHeadOutcome {
  const current = state.read();
  if (current.coordinatorKey === null) return { status: 'not-pinned' };
  if (!verifyAuditHeadSignature(head, head.coordinatorSig, current.coordinatorKey)) return { status: 'bad-signature' };
  const first = rememberHead(current.auditHeads, head);
  if (first.status !== 'recorded') return first.status === 'conflict' ? { status: 'conflict', previous: first.previous } : { status: 'known' };
  let outcome: RecordHeadOutcome = { status: 'recorded' };
  // Re-decided on the state read under the lock: another process may have stored heads meanwhile.
  state.update((fresh) => {
    const result = rememberHead(fresh.auditHeads, head);
    fresh.auditHeads = result.heads;
    outcome = result.status === 'conflict' ? { status: 'conflict', previous: result.previous } : { status: result.status };
  });
  return outcome;
}
