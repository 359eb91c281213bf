/**
 * The signed statements a vault rests on, re-verified before a signer pins it (DESIGN.md, root
 * of trust: "a signer believes only statements signed by pinned keys"). The coordinator's vault
 * view is only its claim; what binds it to the people are:
 * - each keyholder's `member.join` envelope, signed by the identity key the keyholders compare
 *   out of band, which names that keyholder's account key; and
 * - the creator's `vault.create` envelope, signed by one of those keyholders, which names the
 *   descriptor, the threshold, the members in key order and the policy.
 * Without these checks a coordinator could swap an attacker's xpub in for a member's, in the
 * descriptor and the member list alike, and every fingerprint shown would still be right.
 *
 * A governed vault may have moved on since it was formed: its policy by quorum-approved
 * changes, and a keyholder's identity key by a `member.replace-credentials` (a lost laptop).
 * Given the changes the coordinator relays, the signed policy is moved on by those this signer
 * itself accepts (governed-history.ts), and a statement signed by a replaced key stands for the
 * keyholder the quorum moved it to; the policy shown must be exactly where that leads.
 */
import type { z } from 'zod';
import { MESSAGE_TYPES, memberJoinSchema, vaultCreateSchema } from '../../protocol/api';
import { canonicalJson } from '../../protocol/canonical-json';
import { descriptorHash, parseVaultDescriptor, sameKeyOrigin, type MultisigVaultDescriptor } from '../../protocol/descriptor';
import { verifyEnvelope } from '../../protocol/envelope';
import { ConclaveError } from '../../protocol/errors';
import type { NetworkName } from '../../protocol/network';
import type { ChangeViewParsed, VaultViewParsed } from '../coordinator/views';
import { type GovernedHistory, currentKey, replayGovernance } from './governed-history';

/**
 * Throws PIN_MISMATCH unless every member's key and the vault itself are what its keyholders
 * signed (moved on by `changes`, when given, as far as this signer accepts them); returns that history.
 */
export function checkVaultEvidence(
  vault: VaultViewParsed, descriptor: MultisigVaultDescriptor, network: NetworkName, now: Date, changes: readonly ChangeViewParsed[] | null = null,
): GovernedHistory | null {
  const mismatch = (what: string) => new ConclaveError('PIN_MISMATCH', `vault ${vault.id}: ${what}`);
  // Stored evidence: checked for signature and content, not for the envelope's own short validity window.
  const verified = <S extends z.ZodType>(input: unknown, type: string, schema: S, where: string): { signer: string; body: z.infer<S> } => {
    let envelope;
    try {
      envelope = verifyEnvelope(input, { now, expectedType: type, checkTime: false });
    } catch (error) {
      throw mismatch(`${where}: ${error instanceof ConclaveError ? error.message : 'cannot be verified'}`);
    }
    const body = schema.safeParse(envelope.body);
    if (!body.success) throw mismatch(`${where}: the signed body is not a ${type} statement`);
    return { signer: envelope.signer, body: body.data };
  };

  const create = verified(vault.evidence.create, MESSAGE_TYPES.vaultCreate, vaultCreateSchema, 'the creator\'s vault.create statement');
  const history = changes === null ? null : replayGovernance(vault.id, network, create.body.policy, changes, now);
  const latest = (key: string) => currentKey(history, key);

  if (vault.evidence.joins.length !== vault.members.length) throw mismatch(`${vault.evidence.joins.length} signed join statements for ${vault.members.length} members`);
  vault.members.forEach((m, i) => {
    const who = `member ${i + 1} (${m.name})`;
    const join = verified(vault.evidence.joins[i], MESSAGE_TYPES.memberJoin, memberJoinSchema, `${who}'s join statement`);
    if (latest(join.signer) !== m.identityKey) throw mismatch(`${who}: the join statement shown is signed by another identity key (nor one a quorum replaced by ${m.name}'s)`);
    const key = descriptor.keys[i];
    const registered = join.body.accountKey;
    if (!sameKeyOrigin(registered, key)) {
      throw mismatch(`${who}: the account key listed is not the one ${m.name} registered with their identity key`);
    }
  });

  const identities = vault.members.map((m) => m.identityKey);
  if (!identities.includes(latest(create.signer))) throw mismatch('it was not proposed by one of its keyholders');
  let signed: MultisigVaultDescriptor;
  try {
    signed = parseVaultDescriptor(create.body.descriptor, network);
  } catch {
    throw mismatch('the descriptor its creator signed does not parse');
  }
  if (descriptorHash(signed) !== descriptorHash(descriptor) || create.body.threshold !== descriptor.threshold || create.body.network !== network) {
    throw mismatch('the descriptor shown is not the descriptor its creator signed');
  }
  if (create.body.members.length !== identities.length || create.body.members.some((k, i) => latest(k) !== identities[i])) {
    throw mismatch('the keyholders shown are not the ones its creator signed, in key order');
  }
  const expected = history?.policy ?? create.body.policy;
  if (canonicalJson(expected) !== canonicalJson(vault.policy)) {
    throw mismatch(history === null
      ? 'the policy shown is not the policy its creator signed'
      : `the policy shown is not the policy its creator signed moved on by the ${history.appliedChanges.length} quorum-approved change(s) this signer accepts now (if one took effect only just now, run vault pin again)`);
  }
  return history;
}
