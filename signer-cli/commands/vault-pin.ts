/**
 * `vault pin <vaultId> [--yes]`: the signer's root of trust for a vault (DESIGN.md). It
 * fetches the vault, parses the descriptor itself, finds its own account key by exact match,
 * checks that the coordinator's member list is the descriptor's key list, derives the first
 * receive address itself and shows what the keyholders must compare out of band. Only after
 * the keyholder confirms is the vault pinned (durably) and a vault.confirm envelope sent.
 *
 * A governed vault is checked with the quorum-approved changes it went through since it was
 * formed (vault/governed-history.ts): that is how a keyholder whose lost identity key the
 * quorum replaced pins the vault again from a new home, with the same seed and the new key.
 */
import { z } from 'zod';
import { MESSAGE_TYPES, idSchema, type VaultConfirm } from '../../protocol/api';
import {
  deriveVaultScript, descriptorHash, formatVaultDescriptor, parseVaultDescriptor, sameKeyOrigin, type MultisigVaultDescriptor,
} from '../../protocol/descriptor';
import { ConclaveError } from '../../protocol/errors';
import { identityFingerprint } from '../../protocol/identity';
import { GOVERNED_POLICY_VERSION, policyHash } from '../../protocol/policy';
import type { CliContext } from '../context';
import { vaultViewSchema, type VaultViewParsed } from '../coordinator/views';
import type { KeystorePublic } from '../keystore/keystore-format';
import type { CommandResult } from '../output';
import type { AppliedChange, PinnedVault } from '../state/state-file';
import { confirm } from '../terminal';
import { fetchChanges } from '../governance/changes-api';
import type { ChangeViewParsed } from '../coordinator/views';
import { checkVaultEvidence } from '../vault/evidence';
import { checkPolicyFits } from '../vault/policy-fit';
import { policyLines } from '../vault/policy-text';
import { parseArg } from '../validate';
import { describeAccountKey } from './whoami';

export interface VaultPinOptions { yes?: boolean }

export async function runVaultPin(ctx: CliContext, vaultId: string, options: VaultPinOptions): Promise<CommandResult> {
  parseArg(idSchema, vaultId, 'vaultId');
  // A FROST vault is pinned by the key generation that made it (`frost join`), not here.
  const kind = await ctx.coordinator().get(`/api/v1/vaults/${vaultId}`, z.object({ kind: z.string().optional() }));
  if (kind.kind === 'tr-frost') {
    throw new ConclaveError('VAULT_KIND_UNSUPPORTED', `vault ${vaultId}: is a FROST vault; a participant pins it with "conclave-signer frost join <setupId>" when its key generation completes`);
  }
  const vault = await ctx.coordinator().get(`/api/v1/vaults/${vaultId}`, vaultViewSchema);
  // The signed evidence of the changes since formation; only what this signer accepts of it counts.
  const changes = vault.policy.version === GOVERNED_POLICY_VERSION ? await fetchChanges(ctx.coordinator(), vaultId) : null;
  return pinAndConfirmVault(ctx, vaultId, vault, { ...options, changes });
}

export interface PinAndConfirmOptions extends VaultPinOptions {
  /** Lines shown before this command's own review, e.g. what `setup confirm` checked in the BSMS descriptor record. */
  preface?: string[];
  /** A governed vault's changes as the coordinator relays them (vault pin); none at formation (setup confirm). */
  changes?: readonly ChangeViewParsed[] | null;
}

/**
 * The root-of-trust step shared by `vault pin` and `setup confirm`: check the vault as the
 * coordinator shows it against this signer's own parse of its descriptor, show what to compare
 * out of band, pin it durably, then send the signed vault.confirm.
 */
export async function pinAndConfirmVault(ctx: CliContext, vaultId: string, vault: VaultViewParsed, options: PinAndConfirmOptions): Promise<CommandResult> {
  const pub = ctx.keystorePublic();
  const client = ctx.coordinator();
  const checked = checkVault(vault, vaultId, pub, ctx.now(), options.changes ?? null);
  const pin: PinnedVault = {
    vaultId,
    name: vault.name,
    network: pub.network,
    threshold: checked.descriptor.threshold,
    descriptor: formatVaultDescriptor(checked.descriptor),
    descriptorHash: descriptorHash(checked.descriptor),
    members: vault.members.map((m) => ({ identityKey: m.identityKey, name: m.name, fingerprint: identityFingerprint(m.identityKey) })),
    ownIndex: checked.ownIndex,
    firstAddress: checked.firstAddress,
    policy: vault.policy,
    policyHash: checked.policyHash,
    pinnedAt: ctx.now().toISOString(),
    ...(checked.appliedChanges.length > 0 ? { appliedChanges: checked.appliedChanges } : {}),
  };

  const existing = ctx.state.read().vaults.find((v) => v.vaultId === vaultId);
  const alreadyPinned = existing !== undefined;
  if (existing !== undefined && (existing.descriptorHash !== pin.descriptorHash || !sameMembers(existing, pin) || existing.policyHash !== pin.policyHash)) {
    throw new ConclaveError('PIN_MISMATCH', `vault ${vaultId}: the coordinator now shows another descriptor, member set or policy than the one pinned on ${existing.pinnedAt}`);
  }

  const review = [...(options.preface ?? []), ...reviewText(pin, vault)];
  if (!alreadyPinned) {
    if (!options.yes) {
      process.stderr.write(`${review.join('\n')}\n`);
      if (!(await confirm('Have all keyholders compared these fingerprints and the address, and do they match? Pin this vault?'))) {
        throw new ConclaveError('USER_DECLINED', `vault ${vaultId}: not pinned`);
      }
    }
    // Durable before the confirmation leaves the machine: a crash after sending never leaves an unpinned vault confirmed.
    ctx.state.update((state) => {
      if (!state.vaults.some((v) => v.vaultId === vaultId)) state.vaults.push(pin);
    });
  }

  let confirmationSent = false;
  if (!vault.confirmations.some((c) => c.identityKey === pub.identityKey)) {
    const body: VaultConfirm = { vaultId, descriptor: vault.descriptor, firstAddress: pin.firstAddress, policyHash: pin.policyHash };
    const envelope = await ctx.withKeystore(async (keystore) => keystore.signEnvelope(MESSAGE_TYPES.vaultConfirm, body, { now: ctx.now() }));
    await client.post(`/api/v1/vaults/${vaultId}/confirmations`, envelope, vaultViewSchema);
    confirmationSent = true;
  }

  const pinned = existing ?? pin;
  return {
    data: {
      vaultId,
      name: pinned.name,
      network: pinned.network,
      threshold: pinned.threshold,
      keyholders: pinned.members.length,
      ownIndex: pinned.ownIndex,
      descriptor: pinned.descriptor,
      descriptorHash: pinned.descriptorHash,
      firstAddress: pinned.firstAddress,
      members: pinned.members.map((m, i) => ({ ...m, position: i, accountKey: checked.descriptor.keys[i], you: i === pinned.ownIndex })),
      alreadyPinned,
      confirmationSent,
    },
    text: [
      ...(options.yes || alreadyPinned ? review : []),
      alreadyPinned ? `Vault ${vaultId} was already pinned on ${pinned.pinnedAt}; it still matches.` : `Pinned vault ${vaultId}.`,
      confirmationSent ? 'Sent your signed confirmation to the coordinator.' : 'Your confirmation was already recorded by the coordinator.',
    ],
  };
}

interface CheckedVault { descriptor: MultisigVaultDescriptor; ownIndex: number; firstAddress: string; policyHash: string; appliedChanges: AppliedChange[] }

/** Everything the coordinator says about the vault must agree with the descriptor this signer parses. */
function checkVault(vault: VaultViewParsed, vaultId: string, pub: KeystorePublic, now: Date, changes: readonly ChangeViewParsed[] | null): CheckedVault {
  const mismatch = (what: string) => new ConclaveError('PIN_MISMATCH', `vault ${vaultId}: ${what}`);
  if (vault.id !== vaultId) throw mismatch(`the coordinator answered with vault ${vault.id}`);
  if (vault.network !== pub.network) throw mismatch(`is on ${vault.network}, this signer on ${pub.network}`);
  let descriptor: MultisigVaultDescriptor;
  try {
    descriptor = parseVaultDescriptor(vault.descriptor, pub.network);
  } catch (error) {
    throw mismatch(`its descriptor is not a valid vault descriptor (${(error as Error).message})`);
  }
  if (descriptor.threshold !== vault.threshold) throw mismatch(`threshold ${vault.threshold} differs from the descriptor's ${descriptor.threshold}`);
  // One signature would let one person spend alone (invariant 2).
  if (descriptor.threshold < 2) throw mismatch(`its descriptor needs only ${descriptor.threshold} signature; a vault needs at least 2`);
  if (vault.members.length !== descriptor.keys.length) {
    throw mismatch(`${vault.members.length} members listed for ${descriptor.keys.length} descriptor keys`);
  }
  vault.members.forEach((m, i) => {
    const key = descriptor.keys[i];
    if (!sameKeyOrigin(m.accountKey, key)) {
      throw mismatch(`member ${i + 1} (${m.name}) is listed with another account key than descriptor key ${i + 1}`);
    }
  });
  const identities = vault.members.map((m) => m.identityKey);
  if (new Set(identities).size !== identities.length) throw mismatch('the same identity key is listed for two keyholders');

  // Exact match on the whole origin: a key with our xpub but another fingerprint or path would produce PSBTs we cannot sign.
  const own = pub.accountKey;
  const ownIndex = descriptor.keys.findIndex((k) => sameKeyOrigin(k, own));
  if (ownIndex < 0) throw new ConclaveError('NOT_A_MEMBER', `vault ${vaultId}: your account key ${describeAccountKey(own)} is not in its descriptor`);
  if (vault.members[ownIndex].identityKey !== pub.identityKey) {
    throw mismatch(`your account key is listed under another identity (${identityFingerprint(vault.members[ownIndex].identityKey)})`);
  }
  // The policy hash is recomputed here; the one the coordinator shows is only compared with it.
  const pinnedPolicyHash = policyHash(vault.policy);
  if (pinnedPolicyHash !== vault.policyHash) throw mismatch(`its policy hash ${vault.policyHash} is not the hash of the policy it shows`);
  checkPolicyFits(vault.policy, identities, vaultId, pub.network);
  const history = checkVaultEvidence(vault, descriptor, pub.network, now, changes);
  const firstAddress = deriveVaultScript(descriptor, 0, 0).address;
  // Keyholders who confirmed before us must have derived the same first address; a view that says otherwise is lying somewhere.
  for (const c of vault.confirmations) {
    if (c.firstAddress !== firstAddress) throw mismatch(`keyholder ${identityFingerprint(c.identityKey)} is shown as having confirmed the first address ${c.firstAddress}, but this signer derives ${firstAddress}`);
  }
  return { descriptor, ownIndex, firstAddress, policyHash: pinnedPolicyHash, appliedChanges: history?.appliedChanges ?? [] };
}

function sameMembers(a: PinnedVault, b: PinnedVault): boolean {
  return a.members.length === b.members.length && a.members.every((m, i) => m.identityKey === b.members[i].identityKey);
}

function groups(hex: string): string {
  return hex.toUpperCase().match(/.{1,4}/g)?.join(' ') ?? hex;
}

function reviewText(pin: PinnedVault, vault: VaultViewParsed): string[] {
  return [
    `Vault "${pin.name}" ${pin.vaultId}: ${pin.threshold} of ${pin.members.length} on ${pin.network}.`,
    `You are keyholder ${pin.ownIndex + 1} of ${pin.members.length}.`,
    'Keyholders: compare EVERY identity fingerprint with its owner out of band (in person or by phone):',
    ...pin.members.flatMap((m, i) => [
      `  ${i + 1}. ${m.name}${i === pin.ownIndex ? ' (you)' : ''}  ${m.fingerprint}`,
      `     account key ${describeAccountKey(vault.members[i].accountKey)}`,
    ]),
    `Descriptor hash:       ${groups(pin.descriptorHash)}`,
    `First receive address: ${pin.firstAddress}`,
    ...policyLines(pin.policy),
    `Policy hash:           ${groups(pin.policyHash)}`,
    'All keyholders must see the same descriptor hash and first address (derived here, not taken from the coordinator).',
  ];
}
